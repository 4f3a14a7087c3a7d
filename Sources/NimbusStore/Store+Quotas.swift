import GRDB
import NimbusCore

extension QuotaService: DatabaseValueConvertible {}
extension QuotaOverride: SnakeCaseRecord { public static let databaseTableName = "quotaOverride" }

extension Store {
    /// A project's limits that differ from the defaults, by resource name.
    public func quotaOverrides(_ service: QuotaService, project: ProjectID) throws -> [String: Int] {
        try read { db in
            let rows = try QuotaOverride
                .filter(Column("service") == service && Column("project_id") == project)
                .fetchAll(db)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.resource, $0.hardLimit) })
        }
    }

    /// Sets limits in one transaction; `check` sees the project's usage at
    /// that moment and may refuse, so a limit is never set below what is in use.
    public func setQuotaOverrides(
        _ service: QuotaService, project: ProjectID, _ limits: [String: Int], check: (QuotaUsage) throws -> Void
    ) throws {
        try write { db in
            try check(try usage(db, service, project: project))
            for (resource, limit) in limits {
                try QuotaOverride(service: service, projectId: project, resource: resource, hardLimit: limit)
                    .save(db, onConflict: .replace)
            }
        }
    }

    /// Back to the defaults.
    public func deleteQuotaOverrides(_ service: QuotaService, project: ProjectID) throws {
        try write { db in
            _ = try QuotaOverride.filter(Column("service") == service && Column("project_id") == project).deleteAll(db)
        }
    }

    public func quotaUsage(_ service: QuotaService, project: ProjectID) throws -> QuotaUsage {
        try read { try usage($0, service, project: project) }
    }

    /// Inserts a server after `check` has accepted the project's usage (and
    /// the group's members, when it joins one), in one write transaction:
    /// parallel creates cannot both take the last slot.
    public func insert(
        _ server: Server, joining group: ServerGroupID? = nil, check: (QuotaUsage, _ groupMembers: Int) throws -> Void
    ) throws {
        try write { db in
            let members = try group.map { try ServerGroupMemberRecord.filter(Column("group_id") == $0).fetchCount(db) } ?? 0
            try check(try usage(db, .compute, project: server.projectId), members)
            try server.insert(db)
            if let group { try ServerGroupMemberRecord(groupId: group, serverId: server.id).insert(db) }
        }
    }

    func usage(_ db: Database, _ service: QuotaService, project: ProjectID) throws -> QuotaUsage {
        switch service {
        case .compute:
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(ram), 0) FROM server WHERE project_id = ?",
                arguments: [project])
            let groups = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM serverGroup WHERE project_id = ?", arguments: [project]) ?? 0
            return ["instances": row?[0] ?? 0, "cores": row?[1] ?? 0, "ram": row?[2] ?? 0, "server_groups": groups]
        case .network:
            var usage: QuotaUsage = [:]
            let tables = [
                ("network", "network"), ("subnet", "subnet"), ("port", "port"), ("router", "router"), ("floatingip", "floatingIP"),
                ("security_group", "securityGroup"), ("security_group_rule", "securityGroupRule"),
            ]
            for (resource, table) in tables {
                usage[resource] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE project_id = ?", arguments: [project]) ?? 0
            }
            return usage
        }
    }
}

extension Store {
    /// Projects with at least one limit of their own.
    public func projectsWithQuotaOverrides(_ service: QuotaService) throws -> [ProjectID] {
        try read { db in
            try ProjectID.fetchAll(db, sql: "SELECT DISTINCT project_id FROM quotaOverride WHERE service = ? ORDER BY project_id", arguments: [service])
        }
    }
}
