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
extension Server: SnakeCaseRecord { public static let databaseTableName = "server" }

extension Store {
    public func insert(_ server: Server) throws {
        try write { try server.insert($0) }
    }

    public func server(id: ServerID) throws -> Server? {
        try read { try Server.fetchOne($0, key: id.rawValue) }
    }

    /// Servers, newest first; of one project, or of all when nil.
    public func servers(project: ProjectID? = nil) throws -> [Server] {
        try read { db in
            var request = Server.order(Column("created_at").desc, Column("id"))
            if let project { request = request.filter(Column("project_id") == project) }
            return try request.fetchAll(db)
        }
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
