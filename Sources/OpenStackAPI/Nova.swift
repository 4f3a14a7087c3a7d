import Foundation
import NimbusCore

/// Nova v2.1 wire forms.
public enum Nova {
    /// A flavor as Nova renders it at microversion 2.`minor`: 2.55 adds the
    /// description (to the summary too), 2.61 the extra specs, and from
    /// 2.75 no swap is 0 rather than "".
    public static func flavor(_ flavor: Flavor, baseURL: String, detail: Bool = true, minor: Int = 1) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "id": .string(flavor.id.rawValue),
            "name": .string(flavor.name),
            "links": links("flavors/\(flavor.id)", baseURL: baseURL),
        ]
        if minor >= 55 { body["description"] = flavor.description.map(JSONValue.string) ?? .null }
        guard detail else { return body }
        if minor >= 61 { body["extra_specs"] = .object(flavor.extraSpecs.mapValues(JSONValue.string)) }
        body["ram"] = .number(Double(flavor.ram))
        body["disk"] = .number(Double(flavor.disk))
        body["vcpus"] = .number(Double(flavor.vcpus))
        body["swap"] = flavor.swap == 0 && minor < 75 ? "" : .number(Double(flavor.swap))
        body["OS-FLV-EXT-DATA:ephemeral"] = .number(Double(flavor.ephemeral))
        body["OS-FLV-DISABLED:disabled"] = .bool(flavor.disabled)
        body["os-flavor-access:is_public"] = .bool(flavor.isPublic)
        body["rxtx_factor"] = .number(flavor.rxtxFactor)
        return body
    }

    public static func links(_ path: String, baseURL: String) -> JSONValue {
        [
            ["rel": "self", "href": .string("\(baseURL)/compute/v2.1/\(path)")],
            ["rel": "bookmark", "href": .string("\(baseURL)/compute/\(path)")],
        ]
    }
}

extension Nova {
    /// A server as Nova renders it at microversion 2.`minor`: the core view and
    /// the extensions' attributes; `admin` adds the OS-EXT-SRV-ATTR fields.
    public static func server(
        _ server: Server, baseURL: String, admin: Bool, addresses: [String: JSONValue] = [:], securityGroups: [String] = [],
        minor: Int = 1
    ) -> [String: JSONValue] {
        func date(_ value: Date?) -> JSONValue { value.map { .string(Timestamps.iso8601($0)) } ?? .null }
        var body = core(server, baseURL: baseURL, addresses: addresses, minor: minor)
        body["OS-EXT-STS:task_state"] = server.taskState.map { .string($0.rawValue) } ?? .null
        body["OS-EXT-STS:vm_state"] = .string(server.vmState.rawValue)
        body["OS-EXT-STS:power_state"] = .number(Double(server.powerState.rawValue))
        body["OS-EXT-AZ:availability_zone"] = "nova"
        body["OS-SRV-USG:launched_at"] = date(server.launchedAt)
        body["OS-SRV-USG:terminated_at"] = .null
        body["key_name"] = server.keyName.map(JSONValue.string) ?? .null
        body["config_drive"] = server.configDrive ? "True" : ""
        body["os-extended-volumes:volumes_attached"] = []
        // Nova leaves security_groups out when a server has none.
        if !securityGroups.isEmpty { body["security_groups"] = .array(securityGroups.map { ["name": .string($0)] }) }
        if admin {
            body["OS-EXT-SRV-ATTR:host"] = "nimbus"
            body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = "nimbus"
            body["OS-EXT-SRV-ATTR:instance_name"] = .string("instance-\(server.id)")
            if minor >= 3 {
                body["OS-EXT-SRV-ATTR:reservation_id"] = .string(server.reservationId)
                body["OS-EXT-SRV-ATTR:launch_index"] = .number(Double(server.launchIndex))
                body["OS-EXT-SRV-ATTR:kernel_id"] = ""
                body["OS-EXT-SRV-ATTR:ramdisk_id"] = ""
                body["OS-EXT-SRV-ATTR:hostname"] = .string(server.hostname)
                body["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda"
                body["OS-EXT-SRV-ATTR:user_data"] = server.userData.map(JSONValue.string) ?? .null
            }
            if minor >= 16 { body["host_status"] = "UP" }
        }
        return body
    }

    /// The core view alone, as PUT /servers/{id} and rebuild answer before
    /// 2.75 (with plain addresses, which the caller passes), with what each
    /// microversion up to 2.`minor` adds to every server view.
    public static func core(_ server: Server, baseURL: String, addresses: [String: JSONValue], minor: Int = 1) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "id": .string(server.id.rawValue),
            "name": .string(server.name),
            "status": .string(server.status),
            "tenant_id": .string(server.projectId.rawValue),
            "user_id": .string(server.userId.rawValue),
            "metadata": .object(server.metadata.mapValues(JSONValue.string)),
            "hostId": "",
            "image": server.imageId.map { ["id": .string($0.rawValue), "links": [["rel": "bookmark", "href": .string("\(baseURL)/compute/images/\($0)")]]] } ?? "",
            "flavor": ["id": .string(server.flavorId.rawValue), "links": [["rel": "bookmark", "href": .string("\(baseURL)/compute/flavors/\(server.flavorId)")]]],
            "created": .string(Timestamps.iso8601(server.createdAt)),
            "updated": .string(Timestamps.iso8601(server.updatedAt)),
            "addresses": .object(addresses),
            "accessIPv4": .string(server.accessIpv4), "accessIPv6": .string(server.accessIpv6),
            "links": links("servers/\(server.id)", baseURL: baseURL),
            "OS-DCF:diskConfig": "MANUAL",
        ]
        // Nova shows progress only while the server is or gets ready to run.
        if ["ACTIVE", "BUILD", "REBUILD"].contains(server.status) { body["progress"] = 0 }
        if let fault = server.fault {
            body["fault"] = ["code": .number(Double(fault.code)), "message": .string(fault.message), "created": .string(Timestamps.iso8601(fault.created))]
        }
        if minor >= 47 {
            // The flavor as it was when the server was made, not a link to what it is now.
            body["flavor"] = [
                "vcpus": .number(Double(server.vcpus)), "ram": .number(Double(server.ram)), "disk": .number(Double(server.disk)),
                "ephemeral": .number(Double(server.ephemeral)), "swap": .number(Double(server.swap)),
                "original_name": .string(server.flavorName), "extra_specs": .object(server.flavorExtraSpecs.mapValues(JSONValue.string)),
            ]
        }
        if minor >= 9 { body["locked"] = .bool(server.locked) }
        if minor >= 19 { body["description"] = server.description.map(JSONValue.string) ?? .null }
        if minor >= 26 { body["tags"] = .array(server.tags.map(JSONValue.string)) }
        // Nimbus verifies no image signatures, so no server has trusted certificates.
        if minor >= 63 { body["trusted_image_certificates"] = .null }
        if minor >= 73 { body["locked_reason"] = server.lockedReason.map(JSONValue.string) ?? .null }
        return body
    }
}
