import Foundation
import GRDB
import NimbusCore

extension SecurityGroup: SnakeCaseRecord { public static let databaseTableName = "securityGroup" }
extension SecurityGroupRule: SnakeCaseRecord { public static let databaseTableName = "securityGroupRule" }
extension FloatingIP: SnakeCaseRecord { public static let databaseTableName = "floatingIP" }
extension PortForwarding: SnakeCaseRecord { public static let databaseTableName = "portForwarding" }

extension Store {
    // MARK: Security groups

    /// The project's `default` group, made with `rules` when it does not exist
    /// yet; one transaction, so two first requests make one group.
    public func defaultSecurityGroup(
        of project: ProjectID, make: () -> (SecurityGroup, [SecurityGroupRule])
    ) throws -> SecurityGroup {
        try write { db in
            if let existing = try SecurityGroup.filter(Column("project_id") == project && Column("is_default")).fetchOne(db) {
                return existing
            }
            let (group, rules) = make()
            try group.insert(db)
            for rule in rules { try rule.insert(db) }
            return group
        }
    }

    /// Inserts a group with its first rules after `check` saw the project's groups.
    public func insert(_ group: SecurityGroup, rules: [SecurityGroupRule], check: ([SecurityGroup]) throws -> Void) throws {
        try write { db in
            try check(try SecurityGroup.filter(Column("project_id") == group.projectId).fetchAll(db))
            try group.insert(db)
            for rule in rules { try rule.insert(db) }
        }
    }

    public func securityGroup(id: SecurityGroupID) throws -> SecurityGroup? {
        try read { try SecurityGroup.fetchOne($0, key: id.rawValue) }
    }

    /// These security groups, by id (those that exist).
    public func securityGroups(ids: Set<SecurityGroupID>) throws -> [SecurityGroupID: SecurityGroup] {
        guard !ids.isEmpty else { return [:] }
        let list = try JSONColumn.encode(ids.map(\.rawValue))
        return try read { db in
            let groups = try SecurityGroup.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM securityGroup WHERE id IN (SELECT value FROM json_each(?))
                """), arguments: [list])
            return Dictionary(groups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Every group, oldest first.
    public func securityGroups() throws -> [SecurityGroup] {
        try read { try SecurityGroup.order(Column.rowID).fetchAll($0) }
    }

    public func updateSecurityGroup(id: SecurityGroupID, _ change: (inout SecurityGroup) throws -> Void) throws -> SecurityGroup? {
        try write { db in
            guard var group = try SecurityGroup.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&group)
            try group.update(db)
            return group
        }
    }

    /// Deletes a group and its rules after `check` saw the ports using it, in one transaction.
    public func deleteSecurityGroup(id: SecurityGroupID, check: (SecurityGroup, [PortID]) throws -> Void) throws -> SecurityGroup? {
        try write { db in
            guard let group = try SecurityGroup.fetchOne(db, key: id.rawValue) else { return nil }
            let users = try PortID.fetchAll(db, PortSecurityGroupRecord.select(Column("port_id")).filter(Column("security_group_id") == id))
            try check(group, users)
            try group.delete(db)
            return group
        }
    }

    // MARK: Rules

    /// Inserts a rule after `check` saw the group's rules in the same
    /// transaction. nil when the group is gone.
    public func insert(_ rule: SecurityGroupRule, check: (_ siblings: [SecurityGroupRule]) throws -> Void) throws -> SecurityGroupRule? {
        try write { db in
            guard try SecurityGroup.exists(db, key: rule.securityGroupId.rawValue) else { return nil }
            try check(try SecurityGroupRule.filter(Column("security_group_id") == rule.securityGroupId).fetchAll(db))
            try rule.insert(db)
            return rule
        }
    }

    public func securityGroupRule(id: SecurityGroupRuleID) throws -> SecurityGroupRule? {
        try read { try SecurityGroupRule.fetchOne($0, key: id.rawValue) }
    }

    /// Rules, oldest first, of the given groups or of all.
    public func securityGroupRules(groups: [SecurityGroupID]? = nil) throws -> [SecurityGroupRule] {
        try read { db in
            var request = SecurityGroupRule.order(Column.rowID)
            if let groups { request = request.filter(groups.contains(Column("security_group_id"))) }
            return try request.fetchAll(db)
        }
    }

    public func deleteSecurityGroupRule(id: SecurityGroupRuleID) throws -> Bool {
        try write { try SecurityGroupRule.deleteOne($0, key: id.rawValue) }
    }

    /// Ids of the ports using any of these groups: whose forwards a rule change touches.
    public func ports(usingSecurityGroups groups: [SecurityGroupID]) throws -> [NetworkPort] {
        try read { db in
            try Self.ports(db, NetworkPort.filter(
                sql: "id IN (SELECT port_id FROM portSecurityGroup WHERE security_group_id IN (SELECT value FROM json_each(?)))",
                arguments: [try JSONColumn.encode(groups.map(\.rawValue))]))
        }
    }

    // MARK: Floating IPs

    /// Inserts a floating IP at the address `choose` picks from those taken
    /// on its network (by floating IPs and ports), inside the write
    /// transaction; `choose` throws when none is free.
    public func insert(_ floatingIP: FloatingIP, choose: (_ taken: Set<String>) throws -> String) throws -> FloatingIP {
        try write { db in
            // Ports' addresses on the network (a router's gateway, say) are taken too.
            let taken = try String.fetchSet(db, FloatingIP.select(Column("floating_ip_address"))
                .filter(Column("floating_network_id") == floatingIP.floatingNetworkId))
                .union(String.fetchSet(db, IPAllocationRecord.select(Column("ip_address"))
                    .filter(Column("network_id") == floatingIP.floatingNetworkId)))
            var floatingIP = floatingIP
            floatingIP.floatingIpAddress = try choose(taken)
            try floatingIP.insert(db)
            return floatingIP
        }
    }

    public func floatingIP(id: FloatingIPID) throws -> FloatingIP? {
        try read { try FloatingIP.fetchOne($0, key: id.rawValue) }
    }

    /// The floating IPs associated with these ports, oldest first.
    public func floatingIPs(ports: [PortID]) throws -> [FloatingIP] {
        let ids = try JSONColumn.encode(ports.map(\.rawValue))
        return try read { db in
            try FloatingIP.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM floatingIP WHERE port_id IN (SELECT value FROM json_each(?)) ORDER BY rowid
                """), arguments: [ids])
        }
    }

    /// Read-modify-write of one floating IP. `change` also sees the floating
    /// IP already on a fixed address (`holder(port, address)`) and the
    /// floating IP's port forwardings, in the same transaction.
    public func updateFloatingIP(
        id: FloatingIPID,
        _ change: (inout FloatingIP, _ holder: (PortID, String) throws -> FloatingIP?, _ forwardings: Int) throws -> Void
    ) throws -> (before: FloatingIP, after: FloatingIP)? {
        try write { db in
            guard let before = try FloatingIP.fetchOne(db, key: id.rawValue) else { return nil }
            var after = before
            let forwardings = try PortForwarding.filter(Column("floatingip_id") == id).fetchCount(db)
            try change(&after, { port, address in
                try FloatingIP.filter(Column("port_id") == port && Column("fixed_ip_address") == address && Column("id") != id).fetchOne(db)
            }, forwardings)
            try after.update(db)
            return (before, after)
        }
    }

    /// Deletes a floating IP and its port forwardings; nil when it was already gone.
    public func deleteFloatingIP(id: FloatingIPID) throws -> FloatingIP? {
        try write { db in
            guard let floatingIP = try FloatingIP.fetchOne(db, key: id.rawValue) else { return nil }
            try floatingIP.delete(db)
            return floatingIP
        }
    }

    // MARK: Port forwardings

    /// Inserts a forwarding after `check` saw its floating IP, that floating
    /// IP's other forwardings and the forwardings to the same port, in one
    /// transaction. nil when the floating IP is gone.
    public func insert(
        _ forwarding: PortForwarding,
        check: (FloatingIP, _ siblings: [PortForwarding], _ toSamePort: [PortForwarding]) throws -> Void
    ) throws -> PortForwarding? {
        try write { db in
            guard let floatingIP = try FloatingIP.fetchOne(db, key: forwarding.floatingipId.rawValue) else { return nil }
            try check(
                floatingIP, try PortForwarding.filter(Column("floatingip_id") == forwarding.floatingipId).fetchAll(db),
                try PortForwarding.filter(Column("internal_port_id") == forwarding.internalPortId).fetchAll(db))
            try forwarding.insert(db)
            return forwarding
        }
    }

    /// Forwardings, oldest first, of these floating IPs, or to any of these ports.
    public func portForwardings(floatingIPs: [FloatingIPID]? = nil, ports: [PortID]? = nil) throws -> [PortForwarding] {
        try read { db in
            var request = PortForwarding.order(Column.rowID)
            if let floatingIPs { request = request.filter(floatingIPs.contains(Column("floatingip_id"))) }
            if let ports { request = request.filter(ports.contains(Column("internal_port_id"))) }
            return try request.fetchAll(db)
        }
    }

    public func deletePortForwarding(id: PortForwardingID, of floatingIP: FloatingIPID) throws -> PortForwarding? {
        try write { db in
            guard let forwarding = try PortForwarding.filter(key: id.rawValue).filter(Column("floatingip_id") == floatingIP).fetchOne(db)
            else { return nil }
            try forwarding.delete(db)
            return forwarding
        }
    }
}
