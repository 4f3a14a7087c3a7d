import Foundation
import Identity
import NimbusCore
import NimbusStore

/// Security groups and their rules, as Neutron has them. A project sees and
/// changes its own groups (an admin, all); the `default` group is made the
/// first time a project lists groups or gets a port.
extension NetworkService {
    // MARK: Groups

    /// The project's `default` group, made on first use with Neutron's rules:
    /// all egress, and ingress from members of the group itself.
    public func defaultSecurityGroup(of project: ProjectID) throws -> SecurityGroup {
        try store.defaultSecurityGroup(of: project) {
            let now = Date()
            let group = SecurityGroup(id: .generate(), projectId: project, name: "default",
                                      description: "Default security group", isDefault: true, now: now)
            return (group, Self.egressRules(group, now: now) + ["IPv4", "IPv6"].map { ethertype in
                SecurityGroupRule(id: .generate(), securityGroupId: group.id, projectId: project, direction: .ingress,
                                  ethertype: ethertype, remoteGroupId: group.id, now: now)
            })
        }
    }

    /// Every new group lets all traffic out, as in Neutron.
    static func egressRules(_ group: SecurityGroup, now: Date) -> [SecurityGroupRule] {
        ["IPv4", "IPv6"].map { ethertype in
            SecurityGroupRule(id: .generate(), securityGroupId: group.id, projectId: group.projectId, direction: .egress,
                              ethertype: ethertype, now: now)
        }
    }

    public func createSecurityGroup(_ draft: SecurityGroupDraft, _ auth: AuthContext) throws -> SecurityGroup {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        _ = try defaultSecurityGroup(of: owner)
        let now = Date()
        var group = SecurityGroup(id: .generate(), projectId: owner, name: try Self.text(draft.name, "name"),
                                  description: try Self.text(draft.description, "description"), now: now)
        group.stateful = draft.stateful
        try checkQuota("security_group", project: owner)
        try store.insert(group, rules: Self.egressRules(group, now: now)) { existing in
            if group.name == "default", existing.contains(where: \.isDefault) {
                throw Fault.make(.conflict, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
            }
        }
        logger.info("security group created", metadata: ["security_group.id": "\(group.id)", "project.id": "\(owner)"])
        return group
    }

    /// A group the caller can see; anything else is 404.
    public func securityGroup(_ id: String, _ auth: AuthContext) throws -> SecurityGroup {
        try projectResource(id, auth, fetch: store.securityGroup(id:), owner: \.projectId, notFound: Fault.securityGroupNotFound)
    }

    public func securityGroups(_ query: ListQuery, _ auth: AuthContext) throws -> [SecurityGroup] {
        let project = try Policy.requireProjectReader(auth)
        _ = try defaultSecurityGroup(of: project)
        return try query.page(Policy.isAdmin(auth) ? nil : project, store.securityGroups)
    }

    public func updateSecurityGroup(_ id: String, _ changes: SecurityGroupChanges, _ auth: AuthContext) throws -> SecurityGroup {
        let current = try modifiableSecurityGroup(id, rule: "update_security_group", auth)
        let name = try changes.name.map { try Self.text($0, "name") }
        if current.isDefault, let name, name != current.name {
            throw Fault.make(.conflict, "SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.")
        }
        if !current.isDefault, name == "default" {
            throw Fault.make(.conflict, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
        }
        let description = try changes.description.map { try Self.text($0, "description") }
        let updated = try store.updateSecurityGroup(id: current.id) { group in
            if let name { group.name = name }
            if let description { group.description = description }
            group.revisionNumber += 1
            group.updatedAt = Date()
        }
        guard let updated else { throw Fault.securityGroupNotFound(id) }
        return updated
    }

    /// Deletes a group and its rules; refused for a project's `default` group
    /// (except to an admin) and for a group ports still use, as in Neutron.
    public func deleteSecurityGroup(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiableSecurityGroup(id, rule: "delete_security_group", auth)
        if current.isDefault, !Policy.isAdmin(auth) {
            throw Fault.make(.conflict, "SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.")
        }
        let deleted = try store.deleteSecurityGroup(id: current.id) { group, users in
            guard users.isEmpty else { throw Fault.make(.conflict, "SecurityGroupInUse", "Security Group \(group.id) in use.") }
        }
        guard deleted != nil else { throw Fault.securityGroupNotFound(id) }
        logger.info("security group deleted", metadata: ["security_group.id": "\(current.id)"])
    }

    func modifiableSecurityGroup(_ id: String, rule: String, _ auth: AuthContext) throws -> SecurityGroup {
        let group = try securityGroup(id, auth)
        guard NetworkPolicy.mayModify(owner: group.projectId, auth) else {
            throw Fault.policy(rule, "security group \(group.id) belongs to another project")
        }
        return group
    }

    /// Groups, rules and floating IPs are their project's alone (Neutron shares none by default).
    static func mayRead(owner: ProjectID, _ auth: AuthContext) -> Bool {
        Policy.isAdmin(auth) || (Policy.isReader(auth) && auth.projectId == owner)
    }

    /// A resource of one project, by id, when the caller may see it; anything else is `notFound`.
    func projectResource<ID: UUIDIdentifier, Resource>(
        _ id: String, _ auth: AuthContext, fetch: (ID) throws -> Resource?, owner: (Resource) -> ProjectID,
        notFound: (String) -> NimbusError
    ) throws -> Resource {
        _ = try Policy.requireProjectReader(auth)
        guard let parsed = ID.parse(id), let found = try fetch(parsed), Self.mayRead(owner: owner(found), auth) else { throw notFound(id) }
        return found
    }

    // MARK: Rules

    public func createSecurityGroupRule(_ draft: SecurityGroupRuleDraft, _ auth: AuthContext) throws -> SecurityGroupRule {
        let group = try modifiableSecurityGroup(draft.securityGroupId, rule: "create_security_group_rule", auth)
        if let requested = draft.projectId, requested != group.projectId.rawValue {
            throw Fault.invalidInput("the rule's project \(requested) is not the project of security group \(group.id)")
        }
        var rule = try SecurityGroupRules.validated(draft, group: group)
        if let remote = draft.remoteGroupId {
            rule.remoteGroupId = try securityGroup(remote, auth).id
        }
        try checkQuota("security_group_rule", project: group.projectId)
        let created = try store.insert(rule) { siblings in
            if let same = siblings.first(where: { $0.duplicates(rule) }) {
                throw Fault.make(.conflict, "SecurityGroupRuleExists", "Security group rule already exists. Rule id is \(same.id).")
            }
        }
        guard let created else { throw Fault.securityGroupNotFound(draft.securityGroupId) }
        logger.info("security group rule created", metadata: ["rule.id": "\(created.id)", "security_group.id": "\(group.id)"])
        try announceChange(ofGroups: [group.id])
        return created
    }

    public func securityGroupRule(_ id: String, _ auth: AuthContext) throws -> SecurityGroupRule {
        try projectResource(id, auth, fetch: store.securityGroupRule(id:), owner: \.projectId, notFound: Fault.securityGroupRuleNotFound)
    }

    public func securityGroupRules(_ query: ListQuery, _ auth: AuthContext) throws -> [SecurityGroupRule] {
        let project = try Policy.requireProjectReader(auth)
        _ = try defaultSecurityGroup(of: project)
        let visible = try store.securityGroupRules().filter { Self.mayRead(owner: $0.projectId, auth) }
        return try query.apply(to: visible, id: \.id.rawValue, Self.ruleField)
    }

    public func deleteSecurityGroupRule(_ id: String, _ auth: AuthContext) throws {
        let rule = try securityGroupRule(id, auth)
        guard NetworkPolicy.mayModify(owner: rule.projectId, auth) else {
            throw Fault.policy("delete_security_group_rule", "security group rule \(rule.id) belongs to another project")
        }
        guard try store.deleteSecurityGroupRule(id: rule.id) else { throw Fault.securityGroupRuleNotFound(id) }
        logger.info("security group rule deleted", metadata: ["rule.id": "\(rule.id)"])
        try announceChange(ofGroups: [rule.securityGroupId])
    }

    /// The rules of these groups, for the forwards of the ports that use them.
    public func rules(ofGroups groups: [SecurityGroupID]) throws -> [SecurityGroupRule] {
        try store.securityGroupRules(groups: groups)
    }

    /// A rule change reaches every server with a port in the group.
    func announceChange(ofGroups groups: [SecurityGroupID]) throws {
        accessChanges.changed(deviceIDs: try store.ports(usingSecurityGroups: groups).map(\.deviceId))
    }

    static func ruleField(_ rule: SecurityGroupRule, _ key: String) -> [String]? {
        switch key {
        case "id": [rule.id.rawValue]
        case "security_group_id": [rule.securityGroupId.rawValue]
        case "project_id", "tenant_id": [rule.projectId.rawValue]
        case "direction": [rule.direction.rawValue]
        case "ethertype": [rule.ethertype]
        case "protocol": [rule.protocol ?? ""]
        case "port_range_min": [rule.portRangeMin.map(String.init) ?? ""]
        case "port_range_max": [rule.portRangeMax.map(String.init) ?? ""]
        case "remote_ip_prefix": [rule.remoteIpPrefix ?? ""]
        case "remote_group_id": [rule.remoteGroupId?.rawValue ?? ""]
        case "description": [rule.description]
        default: nil
        }
    }

    // MARK: Ports' groups

    /// The groups named for a port of `project` (ids, or names as Nova passes
    /// them), or the project's default group when none are named.
    public func securityGroupIds(_ references: [String]?, project: ProjectID) throws -> [SecurityGroupID] {
        let defaultGroup = try defaultSecurityGroup(of: project)
        guard let references else { return [defaultGroup.id] }
        let own = try store.securityGroups().filter { $0.projectId == project }
        var ids: [SecurityGroupID] = []
        for reference in references {
            let matches = own.filter { $0.id.rawValue == reference || $0.name == reference }
            guard matches.count <= 1 else {
                throw Fault.make(.conflict, "DuplicateSecurityGroupName",
                                 "Multiple security groups are named \(reference); use the security group id.")
            }
            guard let match = matches.first else { throw Fault.securityGroupNotFound(reference) }
            ids.append(match.id)
        }
        var seen = Set<SecurityGroupID>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// Replaces the groups of every port of a device (Nova's add/remove
    /// security group on a server), and recomputes its forwards. `change`
    /// runs on every port before any is written, so a refusal changes nothing.
    public func setSecurityGroups(
        deviceID: String, project: ProjectID, _ change: (inout [SecurityGroupID]) throws -> Void
    ) throws {
        let planned = try ports(deviceID: deviceID, project: project).map { port in
            var groups = port.securityGroupIds
            try change(&groups)
            return (port.id, groups)
        }
        defer { accessChanges.changed(deviceIDs: [deviceID]) }
        for (id, groups) in planned {
            _ = try store.updatePort(id: id) { port, _ in
                port.securityGroupIds = groups
                port.revisionNumber += 1
                port.updatedAt = Date()
            }
        }
    }

}
