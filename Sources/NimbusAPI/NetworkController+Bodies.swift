import Foundation
import Hummingbird
import Networking
import NimbusCore

/// A Neutron request body, `{"<resource>": {...}}`, checked the way Neutron's
/// attribute table checks it: unknown attributes and read-only ones are 400,
/// types are converted as Neutron converts them ("true" is a boolean, "1500"
/// an integer), and the result is a command for the network service.
struct NeutronBody {
    let resource: String
    let attributes: [String: JSONValue]

    init(resource: String, attributes: [String: JSONValue]) {
        self.resource = resource
        self.attributes = attributes
    }

    /// The bodies of a create: one resource, or Neutron's bulk form
    /// `{"<collection>": [{...}, ...]}` (at least one).
    static func creates(_ request: Request, resource: String, collection: String) async throws -> (bodies: [NeutronBody], bulk: Bool) {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        if case .object(let attributes)? = body[resource] {
            return ([NeutronBody(resource: resource, attributes: attributes)], false)
        }
        guard case .array(let items)? = body[collection], !items.isEmpty else {
            throw NimbusError.badRequest("Unable to find '\(resource)' in request body")
        }
        return (try items.map { item in
            guard case .object(let attributes) = item else {
                throw NimbusError.badRequest("Invalid input for \(collection). Reason: each item must be a \(resource) object.")
            }
            return NeutronBody(resource: resource, attributes: attributes)
        }, true)
    }

    init(_ request: Request, resource: String) async throws {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        guard case .object(let attributes)? = body[resource] else {
            throw NimbusError.badRequest("Unable to find '\(resource)' in request body")
        }
        self.resource = resource
        self.attributes = attributes
    }

    /// Every attribute Neutron shows for the resource; those not writable are read-only.
    static let known: [String: Set<String>] = [
        "network": ["id", "name", "description", "tenant_id", "project_id", "admin_state_up", "status", "shared",
                    "router:external", "mtu", "subnets", "tags", "revision_number", "created_at", "updated_at"],
        "subnet": ["id", "name", "description", "network_id", "tenant_id", "project_id", "cidr", "ip_version", "gateway_ip",
                   "allocation_pools", "enable_dhcp", "dns_nameservers", "host_routes", "ipv6_ra_mode", "ipv6_address_mode",
                   "subnetpool_id", "tags", "revision_number", "created_at", "updated_at"],
        "port": ["id", "name", "description", "network_id", "tenant_id", "project_id", "mac_address", "fixed_ips", "device_id",
                 "device_owner", "admin_state_up", "status", "security_groups", "binding:host_id", "binding:vnic_type",
                 "binding:vif_type", "binding:vif_details", "binding:profile", "tags", "revision_number", "created_at", "updated_at",
                 "port_security_enabled"],
        "security_group": ["id", "name", "description", "tenant_id", "project_id", "stateful", "shared", "security_group_rules",
                           "tags", "revision_number", "created_at", "updated_at"],
        "security_group_rule": ["id", "security_group_id", "tenant_id", "project_id", "direction", "ethertype", "protocol",
                                "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id",
                                "remote_address_group_id", "normalized_cidr", "description", "tags", "revision_number",
                                "created_at", "updated_at"],
        "floatingip": ["id", "floating_ip_address", "floating_network_id", "router_id", "port_id", "fixed_ip_address", "status",
                       "tenant_id", "project_id", "description", "port_forwardings", "qos_policy_id", "tags", "revision_number",
                       "created_at", "updated_at", "subnet_id", "dns_name", "dns_domain"],
        "router": ["id", "name", "description", "tenant_id", "project_id", "admin_state_up", "status", "external_gateway_info",
                   "routes", "tags", "revision_number", "created_at", "updated_at", "distributed", "ha", "flavor_id",
                   "availability_zone_hints", "availability_zones"],
        "port_forwarding": ["id", "floatingip_id", "internal_port_id", "internal_ip_address", "internal_port", "external_port",
                            "protocol", "description", "internal_port_range", "external_port_range"],
    ]

    /// Refuses attributes outside `allowed`: unknown ones as Neutron words it, known ones as read-only.
    func check(allowed: Set<String>) throws {
        let unknown = attributes.keys.filter { !(Self.known[resource] ?? []).contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw NimbusError.badRequest("Unrecognized attribute(s) '\(unknown.joined(separator: ", "))'")
        }
        if let readOnly = attributes.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw NimbusError.badRequest("Attribute '\(readOnly)' of \(resource) is read-only or cannot be set here.")
        }
    }

    // MARK: Typed attributes

    func string(_ key: String) throws -> String? {
        switch attributes[key] {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw invalid(key, other, "is not a valid string")
        }
    }

    /// Neutron's convert_to_boolean: JSON booleans, and the strings and numbers Python reads as ones.
    func bool(_ key: String) throws -> Bool? {
        switch attributes[key] {
        case nil: return nil
        case .bool(let flag)?: return flag
        case .string(let text)?:
            switch text.lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: throw invalid(key, .string(text), "is not a valid boolean value")
            }
        case .number(let number)? where number == 0 || number == 1: return number == 1
        case let other?: throw invalid(key, other, "is not a valid boolean value")
        }
    }

    func int(_ key: String) throws -> Int? {
        switch attributes[key] {
        case nil: return nil
        case .string(let text)?: if let number = Int(text) { return number }
        case let value?: if let number = value.intValue { return number }
        }
        throw invalid(key, attributes[key] ?? .null, "is not an integer")
    }

    /// A list of strings; null means the default (an empty list).
    func strings(_ key: String) throws -> [String]? {
        switch attributes[key] {
        case nil: return nil
        case .null?: return []
        case .array(let items)?:
            return try items.map { item in
                guard let text = item.stringValue else { throw invalid(key, item, "is not a valid string") }
                return text
            }
        case let other?: throw invalid(key, other, "is not a list")
        }
    }

    /// A list of objects with string values and exactly the keys allowed.
    func objects(_ key: String, keys allowed: Set<String>, required: Set<String>) throws -> [[String: String]]? {
        switch attributes[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map { item in
                guard case .object(let object) = item else { throw invalid(key, item, "is not a dictionary") }
                if let extra = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                    throw NimbusError.badRequest("Invalid input for \(key). Reason: Unrecognized key '\(extra)'.")
                }
                if let missing = required.sorted().first(where: { object[$0] == nil }) {
                    throw NimbusError.badRequest("Invalid input for \(key). Reason: Missing key '\(missing)'.")
                }
                return try object.mapValues { value in
                    guard let text = value.stringValue else { throw invalid(key, value, "has a value that is not a string") }
                    return text
                }
            }
        case let other?: throw invalid(key, other, "is not a list")
        }
    }

    /// `tenant_id` and `project_id` are two spellings of one attribute.
    func project() throws -> String? {
        let project = try string("project_id")
        let tenant = try string("tenant_id")
        if let project, let tenant, project != tenant {
            throw NimbusError.badRequest("'project_id' and 'tenant_id' do not match")
        }
        return project ?? tenant
    }

    func invalid(_ key: String, _ value: JSONValue, _ reason: String) -> NimbusError {
        let shown: String
        switch value {
        case .string(let text): shown = "'\(text.prefix(64))'"
        case .null: shown = "'None'"
        default: shown = "a \(value.typeName)"
        }
        return NimbusError.badRequest("Invalid input for \(key). Reason: \(shown) \(reason).")
    }
}
