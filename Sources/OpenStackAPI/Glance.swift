import Foundation
import NimbusCore

/// Glance v2 wire forms. An image is a flat JSON object: core attributes
/// and free-form properties side by side, as Glance returns them.
public enum Glance {
    public static func image(_ image: Image) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        for (key, value) in image.properties { body[key] = .string(value) }
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func number(_ value: Int64?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
        body["id"] = .string(image.id.rawValue)
        body["name"] = optional(image.name)
        body["status"] = .string(image.status.rawValue)
        body["visibility"] = .string(image.visibility.rawValue)
        body["protected"] = .bool(image.protected)
        body["os_hidden"] = .bool(image.osHidden)
        body["owner"] = optional(image.owner?.rawValue)
        body["disk_format"] = optional(image.diskFormat)
        body["container_format"] = optional(image.containerFormat)
        body["min_disk"] = .number(Double(image.minDisk))
        body["min_ram"] = .number(Double(image.minRam))
        body["size"] = number(image.size)
        body["virtual_size"] = number(image.virtualSize)
        body["checksum"] = optional(image.checksum)
        body["os_hash_algo"] = optional(image.osHashAlgo)
        body["os_hash_value"] = optional(image.osHashValue)
        body["tags"] = .array(image.tags.map(JSONValue.string))
        body["created_at"] = .string(Timestamps.iso8601(image.createdAt))
        body["updated_at"] = .string(Timestamps.iso8601(image.updatedAt))
        body["self"] = .string("/v2/images/\(image.id)")
        body["file"] = .string("/v2/images/\(image.id)/file")
        body["schema"] = .string("/v2/schemas/image")
        return body
    }

    public static func member(_ member: ImageMember) -> [String: JSONValue] {
        [
            "image_id": .string(member.imageId.rawValue),
            "member_id": .string(member.memberId.rawValue),
            "status": .string(member.status.rawValue),
            "created_at": .string(Timestamps.iso8601(member.createdAt)),
            "updated_at": .string(Timestamps.iso8601(member.updatedAt)),
            "schema": .string("/v2/schemas/member"),
        ]
    }

    /// The JSON-patch media type Glance requires for image updates.
    public static let patchMediaType = "application/openstack-images-v2.1-json-patch"
}
