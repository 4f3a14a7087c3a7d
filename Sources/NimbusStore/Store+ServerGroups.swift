import Foundation
import GRDB
import NimbusCore

extension ServerGroup: SnakeCaseRecord { public static let databaseTableName = "serverGroup" }
extension ServerGroupID: DatabaseValueConvertible {}

struct ServerGroupMemberRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "serverGroupMember"
    var groupId: ServerGroupID
    var serverId: ServerID
    enum CodingKeys: String, CodingKey {
        case groupId = "group_id"
        case serverId = "server_id"
    }
}

extension Store {
    public func insert(_ group: ServerGroup) throws {
        try write { try group.insert($0) }
    }

    /// The group a server is in, if any (a server is in at most one).
    public func serverGroupID(of server: ServerID) throws -> ServerGroupID? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT group_id FROM serverGroupMember WHERE server_id = ?", arguments: [server]).map(ServerGroupID.init(rawValue:))
        }
    }

    public func serverGroup(id: ServerGroupID) throws -> ServerGroup? {
        try read { try ServerGroup.fetchOne($0, key: id.rawValue) }
    }

    /// Groups, oldest first, of one project or of all.
    public func serverGroups(project: ProjectID?) throws -> [ServerGroup] {
        try read { db in
            var request = ServerGroup.order(Column.rowID)
            if let project { request = request.filter(Column("project_id") == project) }
            return try request.fetchAll(db)
        }
    }

    /// The members of these groups, by group, in the order they joined.
    public func serverGroupMembers(_ groups: [ServerGroupID]) throws -> [ServerGroupID: [ServerID]] {
        try read { db in
            let rows = try ServerGroupMemberRecord.filter(groups.contains(Column("group_id"))).order(Column.rowID).fetchAll(db)
            return Dictionary(grouping: rows, by: \.groupId).mapValues { $0.map(\.serverId) }
        }
    }

    public func deleteServerGroup(id: ServerGroupID) throws -> Bool {
        try write { try ServerGroup.deleteOne($0, key: id.rawValue) }
    }
}

extension InstanceAction: SnakeCaseRecord { public static let databaseTableName = "instanceAction" }

extension Store {
    public func insert(_ action: InstanceAction) throws {
        try write { try action.insert($0) }
    }

    /// A server's actions, newest first, as Nova lists them.
    public func instanceActions(server: ServerID) throws -> [InstanceAction] {
        try read { try InstanceAction.filter(Column("server_id") == server).order(Column("start_time").desc, Column.rowID.desc).fetchAll($0) }
    }
}
