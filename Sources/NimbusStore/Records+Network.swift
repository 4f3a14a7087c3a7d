import Foundation
import GRDB
import NimbusCore

// GRDB conformances for the network values. They are written out by hand
// because two fields are not columns: a network's subnet ids come from the
// subnet table and a port's fixed IPs from the address table, filled in by
// the queries in Store+Network.swift.

extension NetworkID: DatabaseValueConvertible {}
extension SubnetID: DatabaseValueConvertible {}
extension PortID: DatabaseValueConvertible {}
extension NetworkStatus: DatabaseValueConvertible {}
extension PortStatus: DatabaseValueConvertible {}
extension SecurityGroupID: DatabaseValueConvertible {}
extension SecurityGroupRuleID: DatabaseValueConvertible {}
extension FloatingIPID: DatabaseValueConvertible {}
extension PortForwardingID: DatabaseValueConvertible {}
extension RuleDirection: DatabaseValueConvertible {}
extension ForwardProtocol: DatabaseValueConvertible {}

extension Network: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "network"

    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), projectId: try row.decode(forColumn: "project_id"),
            name: try row.decode(forColumn: "name"), description: try row.decode(forColumn: "description"),
            adminStateUp: try row.decode(forColumn: "admin_state_up"), shared: try row.decode(forColumn: "shared"),
            external: try row.decode(forColumn: "router_external"), mtu: try row.decode(forColumn: "mtu"),
            now: try row.decode(forColumn: "created_at"))
        status = try row.decode(forColumn: "status")
        revisionNumber = try row.decode(forColumn: "revision_number")
        updatedAt = try row.decode(forColumn: "updated_at")
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["project_id"] = projectId
        container["name"] = name
        container["description"] = description
        container["admin_state_up"] = adminStateUp
        container["shared"] = shared
        container["router_external"] = external
        container["mtu"] = mtu
        container["status"] = status
        container["revision_number"] = revisionNumber
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}

extension Subnet: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "subnet"

    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), networkId: try row.decode(forColumn: "network_id"),
            projectId: try row.decode(forColumn: "project_id"), name: try row.decode(forColumn: "name"),
            description: try row.decode(forColumn: "description"), cidr: try row.decode(forColumn: "cidr"),
            gatewayIP: try row.decode(forColumn: "gateway_ip"),
            allocationPools: try JSONColumn.decode([AllocationPool].self, row, "allocation_pools"),
            enableDHCP: try row.decode(forColumn: "enable_dhcp"),
            dnsNameservers: try JSONColumn.decode([String].self, row, "dns_nameservers"),
            hostRoutes: try JSONColumn.decode([HostRoute].self, row, "host_routes"),
            now: try row.decode(forColumn: "created_at"))
        ipVersion = try row.decode(forColumn: "ip_version")
        revisionNumber = try row.decode(forColumn: "revision_number")
        updatedAt = try row.decode(forColumn: "updated_at")
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["network_id"] = networkId
        container["project_id"] = projectId
        container["name"] = name
        container["description"] = description
        container["cidr"] = cidr
        container["ip_version"] = ipVersion
        container["gateway_ip"] = gatewayIP
        container["allocation_pools"] = try JSONColumn.encode(allocationPools)
        container["enable_dhcp"] = enableDHCP
        container["dns_nameservers"] = try JSONColumn.encode(dnsNameservers)
        container["host_routes"] = try JSONColumn.encode(hostRoutes)
        container["revision_number"] = revisionNumber
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}

extension NetworkPort: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "port"

    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), networkId: try row.decode(forColumn: "network_id"),
            projectId: try row.decode(forColumn: "project_id"), name: try row.decode(forColumn: "name"),
            description: try row.decode(forColumn: "description"), macAddress: try row.decode(forColumn: "mac_address"),
            deviceId: try row.decode(forColumn: "device_id"), deviceOwner: try row.decode(forColumn: "device_owner"),
            adminStateUp: try row.decode(forColumn: "admin_state_up"), now: try row.decode(forColumn: "created_at"))
        status = try row.decode(forColumn: "status")
        bindingHostId = try row.decode(forColumn: "binding_host_id")
        bindingVnicType = try row.decode(forColumn: "binding_vnic_type")
        revisionNumber = try row.decode(forColumn: "revision_number")
        updatedAt = try row.decode(forColumn: "updated_at")
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["network_id"] = networkId
        container["project_id"] = projectId
        container["name"] = name
        container["description"] = description
        container["mac_address"] = macAddress
        container["device_id"] = deviceId
        container["device_owner"] = deviceOwner
        container["admin_state_up"] = adminStateUp
        container["status"] = status
        container["binding_host_id"] = bindingHostId
        container["binding_vnic_type"] = bindingVnicType
        container["revision_number"] = revisionNumber
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}

/// One address held by a port: a row of `ipAllocation`.
struct IPAllocationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "ipAllocation"
    var networkId: NetworkID
    var portId: PortID
    var subnetId: SubnetID
    var ipAddress: String

    enum CodingKeys: String, CodingKey {
        case networkId = "network_id", portId = "port_id", subnetId = "subnet_id", ipAddress = "ip_address"
    }
}

/// A port's use of a security group: a row of `portSecurityGroup`.
struct PortSecurityGroupRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "portSecurityGroup"
    var portId: PortID
    var securityGroupId: SecurityGroupID
    var position: Int

    enum CodingKeys: String, CodingKey {
        case portId = "port_id", securityGroupId = "security_group_id", position
    }
}

/// JSON text columns with one fixed spelling (sorted keys), so equal values store equal text.
enum JSONColumn {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ row: Row, _ column: String) throws -> T {
        let text: String = try row.decode(forColumn: column)
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
