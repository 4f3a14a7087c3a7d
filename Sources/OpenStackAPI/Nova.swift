import NimbusCore

/// Nova v2.1 wire forms.
public enum Nova {
    /// A flavor as Nova renders it at microversion 2.1 (swap is "" when there is none).
    public static func flavor(_ flavor: Flavor, baseURL: String, detail: Bool = true) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "id": .string(flavor.id.rawValue),
            "name": .string(flavor.name),
            "links": links("flavors/\(flavor.id)", baseURL: baseURL),
        ]
        guard detail else { return body }
        body["ram"] = .number(Double(flavor.ram))
        body["disk"] = .number(Double(flavor.disk))
        body["vcpus"] = .number(Double(flavor.vcpus))
        body["swap"] = flavor.swap == 0 ? "" : .number(Double(flavor.swap))
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
