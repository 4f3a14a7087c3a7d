import NimbusCore

/// The JSON schemas Glance publishes under /v2/schemas, which python-glanceclient reads.
enum GlanceSchemas {
    static func type(_ types: [String], _ description: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": types.count == 1 ? .string(types[0]) : .array(types.map(JSONValue.string)),
            "description": .string(description),
        ]
        object.merge(extra) { _, new in new }
        return .object(object)
    }

    static var imageProperties: [String: JSONValue] {
        let readOnly: [String: JSONValue] = ["readOnly": true]
        return [
            "id": type(["string"], "An identifier for the image", extra: ["pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"]),
            "name": type(["null", "string"], "Descriptive name for the image", extra: ["maxLength": 255]),
            "status": type(["string"], "Status of the image", extra: readOnly.merging(["enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]]) { $1 }),
            "visibility": type(["string"], "Scope of image accessibility", extra: ["enum": ["community", "public", "private", "shared"]]),
            "protected": type(["boolean"], "If true, image will not be deletable."),
            "os_hidden": type(["boolean"], "If true, image will not appear in default image list response."),
            "checksum": type(["null", "string"], "md5 hash of image contents.", extra: readOnly),
            "os_hash_algo": type(["null", "string"], "Algorithm to calculate the os_hash_value", extra: readOnly),
            "os_hash_value": type(["null", "string"], "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", extra: readOnly),
            "owner": type(["null", "string"], "Owner of the image", extra: ["maxLength": 255]),
            "size": type(["null", "integer"], "Size of image file in bytes", extra: readOnly),
            "virtual_size": type(["null", "integer"], "Virtual size of image in bytes", extra: readOnly),
            "container_format": type(["null", "string"], "Format of the container", extra: ["enum": [nil, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]]),
            "disk_format": type(["null", "string"], "Format of the disk", extra: ["enum": [nil, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]]),
            "created_at": type(["string"], "Date and time of image registration", extra: readOnly),
            "updated_at": type(["string"], "Date and time of the last image modification", extra: readOnly),
            "tags": type(["array"], "List of strings related to the image", extra: ["items": ["type": "string", "maxLength": 255]]),
            "min_ram": type(["integer"], "Amount of ram (in MB) required to boot image."),
            "min_disk": type(["integer"], "Amount of disk space (in GB) required to boot image."),
            "self": type(["string"], "An image self url", extra: readOnly),
            "file": type(["string"], "An image file url", extra: readOnly),
            "schema": type(["string"], "An image schema url", extra: readOnly),
        ]
    }

    static var image: [String: JSONValue] {
        [
            "name": "image",
            "properties": .object(imageProperties),
            "additionalProperties": ["type": "string"],
            "links": [["rel": "self", "href": "{self}"], ["rel": "enclosure", "href": "{file}"], ["rel": "describedby", "href": "{schema}"]],
        ]
    }

    static var images: [String: JSONValue] {
        [
            "name": "images",
            "properties": [
                "images": ["type": "array", "items": .object(image)],
                "schema": ["type": "string"], "first": ["type": "string"], "next": ["type": "string"],
            ],
            "links": [["rel": "first", "href": "{first}"], ["rel": "next", "href": "{next}"], ["rel": "describedby", "href": "{schema}"]],
        ]
    }

    static var member: [String: JSONValue] {
        [
            "name": "member",
            "properties": [
                "image_id": type(["string"], "An identifier for the image"),
                "member_id": type(["string"], "An identifier for the image member (tenantId)"),
                "status": type(["string"], "The status of this image member", extra: ["enum": ["pending", "accepted", "rejected"]]),
                "created_at": type(["string"], "Date and time of image member creation"),
                "updated_at": type(["string"], "Date and time of last modification of image member"),
                "schema": ["type": "string", "readOnly": true],
            ],
        ]
    }

    static var members: [String: JSONValue] {
        ["name": "members", "properties": ["members": ["type": "array", "items": .object(member)], "schema": ["type": "string"]]]
    }
}
