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
