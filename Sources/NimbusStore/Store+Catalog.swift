import Foundation
import GRDB
import NimbusCore

extension ServiceID: DatabaseValueConvertible {}
extension EndpointID: DatabaseValueConvertible {}
extension EndpointGroupID: DatabaseValueConvertible {}
extension Region: SnakeCaseRecord { public static let databaseTableName = "region" }
extension CatalogService: SnakeCaseRecord { public static let databaseTableName = "catalogService" }
extension ServiceEndpoint: SnakeCaseRecord { public static let databaseTableName = "endpoint" }
extension EndpointGroup: SnakeCaseRecord { public static let databaseTableName = "endpointGroup" }

extension Store {
    /// The catalog: regions (a child goes with its parent), services, endpoints
    /// (with their service; a region in use cannot go), endpoint groups and
    /// the projects they and single endpoints are given to. `catalogOrigin`
    /// remembers the base URL the built-in endpoints were made from.
    static func registerCatalogMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-identity-catalog") { db in
            try db.create(table: "region") { t in
                t.primaryKey("id", .text)
                t.column("description", .text).notNull().defaults(to: "")
                t.column("parent_region_id", .text).indexed().references("region", onDelete: .cascade)
            }
            try db.create(table: "catalogService") { t in
                t.primaryKey("id", .text)
                t.column("type", .text).notNull()
                t.column("name", .text)
                t.column("description", .text)
                t.column("enabled", .boolean).notNull()
                t.column("extra", .jsonText).notNull()
            }
            try db.create(table: "endpoint") { t in
                t.primaryKey("id", .text)
                t.column("service_id", .text).notNull().indexed().references("catalogService", onDelete: .cascade)
                t.column("interface", .text).notNull()
                t.column("region_id", .text).indexed().references("region", onDelete: .restrict)
                t.column("url", .text).notNull()
                t.column("enabled", .boolean).notNull()
            }
            try db.create(table: "endpointGroup") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("description", .text).notNull()
                t.column("filters", .jsonText).notNull()
            }
            try db.create(table: "endpointGroupProject") { t in
                t.column("endpoint_group_id", .text).notNull().references("endpointGroup", onDelete: .cascade)
                t.column("project_id", .text).notNull().indexed().references("project", onDelete: .cascade)
                t.primaryKey(["endpoint_group_id", "project_id"])
            }
            try db.create(table: "projectEndpoint") { t in
                t.column("project_id", .text).notNull().references("project", onDelete: .cascade)
                t.column("endpoint_id", .text).notNull().indexed().references("endpoint", onDelete: .cascade)
                t.primaryKey(["project_id", "endpoint_id"])
            }
            try db.create(table: "catalogOrigin") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("base_url", .text).notNull()
            }
        }
    }

    // MARK: Regions

    public func insert(_ region: Region) throws {
        try write { try region.insert($0) }
    }

    public func region(id: String) throws -> Region? {
        try read { try Region.fetchOne($0, key: id) }
    }

    public func regions(parent: String? = nil) throws -> [Region] {
        try read { db in
            var request = Region.order(Column("id"))
            if let parent { request = request.filter(Column("parent_region_id") == parent) }
            return try request.fetchAll(db)
        }
    }

    public func update(_ region: Region) throws {
        try write { try region.update($0) }
    }

    /// Deletes a region and the regions below it; false when it does not exist.
    public func deleteRegion(id: String) throws -> Bool {
        try write { try Region.deleteOne($0, key: id) }
    }

    // MARK: Services

    public func insert(_ service: CatalogService) throws {
        try write { try service.insert($0) }
    }

    public func catalogService(id: ServiceID) throws -> CatalogService? {
        try read { try CatalogService.fetchOne($0, key: id.rawValue) }
    }

    public func catalogServices() throws -> [CatalogService] {
        try read { try CatalogService.order(Column("type"), Column("id")).fetchAll($0) }
    }

    public func update(_ service: CatalogService) throws {
        try write { try service.update($0) }
    }

    /// Deletes a service and its endpoints.
    public func deleteCatalogService(id: ServiceID) throws -> Bool {
        try write { try CatalogService.deleteOne($0, key: id.rawValue) }
    }

    // MARK: Endpoints

    public func insert(_ endpoint: ServiceEndpoint) throws {
        try write { try endpoint.insert($0) }
    }

    public func endpoint(id: EndpointID) throws -> ServiceEndpoint? {
        try read { try ServiceEndpoint.fetchOne($0, key: id.rawValue) }
    }

    public func endpoints() throws -> [ServiceEndpoint] {
        try read { try ServiceEndpoint.order(Column("service_id"), Column("interface"), Column("id")).fetchAll($0) }
    }

    public func update(_ endpoint: ServiceEndpoint) throws {
        try write { try endpoint.update($0) }
    }

    public func deleteEndpoint(id: EndpointID) throws -> Bool {
        try write { try ServiceEndpoint.deleteOne($0, key: id.rawValue) }
    }

    /// Rewrites every endpoint URL under `old` to start with `new` instead,
    /// and records `new` as the catalog's origin, in one transaction.
    public func moveCatalogOrigin(from old: String?, to new: String) throws {
        try write { db in
            if let old, old != new {
                for var endpoint in try ServiceEndpoint.fetchAll(db) where endpoint.url == old || endpoint.url.hasPrefix(old + "/") {
                    endpoint.url = new + endpoint.url.dropFirst(old.count)
                    try endpoint.update(db)
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO catalogOrigin (id, base_url) VALUES (1, ?)", arguments: [new])
        }
    }

    public func catalogOrigin() throws -> String? {
        try read { try String.fetchOne($0, sql: "SELECT base_url FROM catalogOrigin WHERE id = 1") }
    }

    // MARK: Endpoint groups and project associations

    public func insert(_ group: EndpointGroup) throws {
        try write { try group.insert($0) }
    }

    public func endpointGroup(id: EndpointGroupID) throws -> EndpointGroup? {
        try read { try EndpointGroup.fetchOne($0, key: id.rawValue) }
    }

    public func endpointGroups() throws -> [EndpointGroup] {
        try read { try EndpointGroup.order(Column("name"), Column("id")).fetchAll($0) }
    }

    public func update(_ group: EndpointGroup) throws {
        try write { try group.update($0) }
    }

    public func deleteEndpointGroup(id: EndpointGroupID) throws -> Bool {
        try write { try EndpointGroup.deleteOne($0, key: id.rawValue) }
    }

    /// Gives an endpoint group to a project; twice is not an error.
    public func associate(_ group: EndpointGroupID, with project: ProjectID) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO endpointGroupProject (endpoint_group_id, project_id) VALUES (?, ?)", arguments: [group, project])
        }
    }

    public func dissociate(_ group: EndpointGroupID, from project: ProjectID) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM endpointGroupProject WHERE endpoint_group_id = ? AND project_id = ?", arguments: [group, project])
            return db.changesCount > 0
        }
    }

    public func projects(of group: EndpointGroupID) throws -> [ProjectID] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT project_id FROM endpointGroupProject WHERE endpoint_group_id = ? ORDER BY project_id", arguments: [group])
                .map(ProjectID.init(rawValue:))
        }
    }

    public func endpointGroups(of project: ProjectID) throws -> [EndpointGroup] {
        try read { db in
            try EndpointGroup.fetchAll(db, sql: """
                SELECT endpointGroup.* FROM endpointGroup JOIN endpointGroupProject ON endpointGroupProject.endpoint_group_id = endpointGroup.id
                WHERE endpointGroupProject.project_id = ? ORDER BY endpointGroup.name
                """, arguments: [project])
        }
    }

    /// Gives a single endpoint to a project; twice is not an error.
    public func associate(_ endpoint: EndpointID, with project: ProjectID) throws {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO projectEndpoint (project_id, endpoint_id) VALUES (?, ?)", arguments: [project, endpoint])
        }
    }

    public func dissociate(_ endpoint: EndpointID, from project: ProjectID) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM projectEndpoint WHERE project_id = ? AND endpoint_id = ?", arguments: [project, endpoint])
            return db.changesCount > 0
        }
    }

    public func endpointIDs(givenTo project: ProjectID) throws -> [EndpointID] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT endpoint_id FROM projectEndpoint WHERE project_id = ?", arguments: [project])
                .map(EndpointID.init(rawValue:))
        }
    }

    public func projects(givenEndpoint endpoint: EndpointID) throws -> [ProjectID] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT project_id FROM projectEndpoint WHERE endpoint_id = ? ORDER BY project_id", arguments: [endpoint])
                .map(ProjectID.init(rawValue:))
        }
    }
}
