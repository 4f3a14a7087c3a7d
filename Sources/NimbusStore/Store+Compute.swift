import Foundation
import GRDB
import NimbusCore

extension FlavorID: DatabaseValueConvertible {}
extension Flavor: SnakeCaseRecord { public static let databaseTableName = "flavor" }
extension FlavorAccess: SnakeCaseRecord { public static let databaseTableName = "flavorAccess" }

extension Store {
    public func insert(_ flavor: Flavor) throws {
        try write { try flavor.insert($0) }
    }

    public func flavor(id: FlavorID) throws -> Flavor? {
        try read { try Flavor.fetchOne($0, key: id.rawValue) }
    }

    public func flavor(named name: String) throws -> Flavor? {
        try read { try Flavor.filter(Column("name") == name).fetchOne($0) }
    }

    public func flavors() throws -> [Flavor] {
        try read { try Flavor.fetchAll($0) }
    }

    /// Read-modify-write of one flavor (extra specs, description) in one transaction.
    public func updateFlavor(id: FlavorID, _ change: (inout Flavor) throws -> Void) throws -> Flavor? {
        try write { db in
            guard var flavor = try Flavor.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&flavor)
            try flavor.update(db)
            return flavor
        }
    }

    public func deleteFlavor(id: FlavorID) throws -> Bool {
        try write { try Flavor.deleteOne($0, key: id.rawValue) }
    }

    public func flavorAccess(of flavor: FlavorID) throws -> [FlavorAccess] {
        try read { try FlavorAccess.filter(Column("flavor_id") == flavor).fetchAll($0) }
    }

    /// Private flavors a project was granted.
    public func accessibleFlavors(for project: ProjectID) throws -> Set<FlavorID> {
        try read { Set(try FlavorAccess.filter(Column("project_id") == project).fetchAll($0).map(\.flavorId)) }
    }

    public func grant(_ access: FlavorAccess) throws {
        try write { try access.insert($0, onConflict: .ignore) }
    }

    public func revoke(_ access: FlavorAccess) throws -> Bool {
        try write { try access.delete($0) }
    }
}

extension ServerID: DatabaseValueConvertible {}
extension VMState: DatabaseValueConvertible {}
extension TaskState: DatabaseValueConvertible {}
extension PowerState: DatabaseValueConvertible {}
extension Server: SnakeCaseRecord {
    public static let databaseTableName = "server"

    /// Read by hand, as images are: decoding a server's forty columns through
    /// Codable was a third of a server list's time.
    public init(row: Row) throws {
        let created: Date = row["created_at"]
        let flavor = Flavor(
            id: row["flavor_id"], name: row["flavor_name"], vcpus: row["vcpus"], ram: row["ram"], disk: row["disk"],
            ephemeral: row["ephemeral"], swap: row["swap"], createdAt: created)
        self.init(id: row["id"], name: row["name"], projectId: row["project_id"], userId: row["user_id"], imageId: row["image_id"],
                  flavor: flavor, now: created)
        flavorExtraSpecs = try Self.json(row, "flavor_extra_specs", empty: [:])
        imageOverrides = try Self.json(row, "image_overrides", empty: [:])
        vmState = row["vm_state"]
        taskState = row["task_state"]
        powerState = row["power_state"]
        fault = try (row["fault"] as String?).map { try Self.databaseJSONDecoder(for: "fault").decode(ServerFault.self, from: Data($0.utf8)) }
        metadata = try Self.json(row, "metadata", empty: [:])
        keyName = row["key_name"]
        keyData = row["key_data"]
        userData = row["user_data"]
        configDrive = row["config_drive"]
        drives = try Self.json(row, "drives", empty: [])
        rescueImageId = row["rescue_image_id"]
        preservedPortIds = try Self.json(row, "preserved_port_ids", empty: [])
        locked = row["locked"]
        accessIpv4 = row["access_ipv4"]
        accessIpv6 = row["access_ipv6"]
        updatedAt = row["updated_at"]
        launchedAt = row["launched_at"]
        description = row["description"]
        tags = try Self.json(row, "tags", empty: [])
        lockedReason = row["locked_reason"]
        reservationId = row["reservation_id"]
        launchIndex = row["launch_index"]
    }

    /// A JSON column; the common empty object or array without a decoder.
    private static func json<T: Decodable & Collection>(_ row: Row, _ column: String, empty: T) throws -> T {
        let text: String = row[column]
        if text == "{}" || text == "[]" { return empty }
        return try databaseJSONDecoder(for: column).decode(T.self, from: Data(text.utf8))
    }
}

extension Store {
    public func insert(_ server: Server) throws {
        try write { try server.insert($0) }
    }

    public func server(id: ServerID) throws -> Server? {
        try read { try Server.fetchOne($0, key: id.rawValue) }
    }

    /// Every server, newest first.
    public func servers() throws -> [Server] {
        try read { try Server.order(Column("created_at").desc, Column("id")).fetchAll($0) }
    }

    /// Read-modify-write of one server in one transaction; nil when it is
    /// gone. A server whose vm_state becomes `deleted` is removed.
    public func updateServer(id: ServerID, _ change: (inout Server) throws -> Void) throws -> Server? {
        try write { db in
            guard var server = try Server.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&server)
            server.updatedAt = Date()
            if server.vmState == .deleted {
                try server.delete(db)
            } else {
                try server.update(db)
            }
            return server
        }
    }

    public func deleteServer(id: ServerID) throws -> Bool {
        try write { try Server.deleteOne($0, key: id.rawValue) }
    }
}
