import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// Role grants on domains and the system's group grants, the
/// `role_assignments` listing over every kind, and the domains a token may take.
extension IdentityController {
    func addGrants(to router: RouterGroup<AuthenticatedContext>) {
        addGrantRoutes(to: router, "domains/{id}/users/{user}/roles") {
            (.user(try $0.require("user")), .domain(try $0.require("id")))
        }
        addGrantRoutes(to: router, "domains/{id}/groups/{group}/roles") {
            (.group(try $0.require("group")), .domain(try $0.require("id")))
        }
        addGrantRoutes(to: router, "system/groups/{group}/roles") {
            (.group(try $0.require("group")), .system)
        }
        router.get("auth/domains") { _, context in
            let domains = try identity.scopableDomains(context.auth)
            return try JSONMessages.response([
                "domains": .array(domains.map { .object(["id": .string($0.id.rawValue), "name": .string($0.name), "enabled": .bool($0.enabled)]) }),
                "links": links("auth/domains"),
            ] as [String: JSONValue])
        }
        router.get("role_assignments") { request, context in
            let parameters = QueryParameters.first(request)
            var query = IdentityService.GrantQuery()
            query.user = parameters["user.id"].map(UserID.init(rawValue:))
            query.group = parameters["group.id"].map(GroupID.init(rawValue:))
            query.project = parameters["scope.project.id"].map(ProjectID.init(rawValue:))
            query.domain = parameters["scope.domain.id"].map(DomainID.init(rawValue:))
            query.system = parameters["scope.system"] != nil
            query.role = parameters["role.id"].map(RoleID.init(rawValue:))
            query.effective = parameters["effective"] != nil
            let includeNames = parameters["include_names"].map { ["true", "1", ""].contains($0.lowercased()) } ?? false
            let names = includeNames ? try GrantNames(identity) : nil
            let grants = try identity.grants(query, context.auth)
            return try JSONMessages.response(["role_assignments": .array(grants.map { render($0, names: names) }), "links": links("role_assignments")] as [String: JSONValue])
        }
    }

    /// GET list, and PUT/HEAD/GET/DELETE of one role, under `path`.
    private func addGrantRoutes(
        to router: RouterGroup<AuthenticatedContext>, _ path: String,
        _ subject: @escaping @Sendable (Parameters) throws -> (IdentityService.ActorReference, IdentityService.TargetReference)
    ) {
        router.get(.init(path)) { _, context in
            let (actor, target) = try subject(context.parameters)
            let roles = try identity.roles(of: actor, on: target, context.auth)
            return try JSONMessages.response(["roles": roles.map { Keystone.RoleBody($0, baseURL: baseURL) }])
        }
        router.put(.init(path + "/{role}")) { _, context in
            let (actor, target) = try subject(context.parameters)
            try identity.grantRole(try context.parameters.require("role"), to: actor, on: target, context.auth)
            return Response(status: .noContent)
        }
        router.head(.init(path + "/{role}")) { _, context in
            let (actor, target) = try subject(context.parameters)
            _ = try identity.checkRole(try context.parameters.require("role"), of: actor, on: target, context.auth)
            return Response(status: .noContent)
        }
        router.get(.init(path + "/{role}")) { _, context in
            let (actor, target) = try subject(context.parameters)
            _ = try identity.checkRole(try context.parameters.require("role"), of: actor, on: target, context.auth)
            return Response(status: .noContent)
        }
        router.delete(.init(path + "/{role}")) { _, context in
            let (actor, target) = try subject(context.parameters)
            try identity.revokeRole(try context.parameters.require("role"), from: actor, on: target, context.auth)
            return Response(status: .noContent)
        }
    }

    /// Names for `include_names`, read once per listing.
    struct GrantNames {
        var users: [UserID: User] = [:]
        var groups: [GroupID: Group] = [:]
        var projects: [ProjectID: Project] = [:]
        var domains: [DomainID: Domain] = [:]
        var roles: [RoleID: Role] = [:]
        init(_ identity: IdentityService) throws {
            let all = try identity.everything()
            users = Dictionary(all.users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            groups = Dictionary(all.groups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            projects = Dictionary(all.projects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            domains = Dictionary(all.domains.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            roles = Dictionary(all.roles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
        func domain(_ id: DomainID) -> JSONValue {
            ["id": .string(id.rawValue), "name": .string(domains[id]?.name ?? id.rawValue)]
        }
    }

    func render(_ grant: RoleGrant, names: GrantNames?) -> JSONValue {
        var body: [String: JSONValue] = [:]
        var role: [String: JSONValue] = ["id": .string(grant.roleId.rawValue)]
        if let names, let found = names.roles[grant.roleId] {
            role["name"] = .string(found.name)
            if let domain = found.domainId { role["domain"] = names.domain(domain) }
        }
        body["role"] = .object(role)
        let actorPath: String
        switch grant.actor {
        case .user(let id):
            var user: [String: JSONValue] = ["id": .string(id.rawValue)]
            if let names, let found = names.users[id] { user["name"] = .string(found.name); user["domain"] = names.domain(found.domainId) }
            body["user"] = .object(user)
            actorPath = "users/\(id)"
        case .group(let id):
            var group: [String: JSONValue] = ["id": .string(id.rawValue)]
            if let names, let found = names.groups[id] { group["name"] = .string(found.name); group["domain"] = names.domain(found.domainId) }
            body["group"] = .object(group)
            actorPath = "groups/\(id)"
        }
        let targetPath: String
        switch grant.target {
        case .project(let id):
            var project: [String: JSONValue] = ["id": .string(id.rawValue)]
            if let names, let found = names.projects[id] { project["name"] = .string(found.name); project["domain"] = names.domain(found.domainId) }
            body["scope"] = ["project": .object(project)]
            targetPath = "projects/\(id)/"
        case .domain(let id):
            var domain: [String: JSONValue] = ["id": .string(id.rawValue)]
            if let names, let found = names.domains[id] { domain["name"] = .string(found.name) }
            body["scope"] = ["domain": .object(domain)]
            targetPath = "domains/\(id)/"
        case .system:
            body["scope"] = ["system": ["all": true]]
            targetPath = "system/"
        }
        body["links"] = ["assignment": .string("\(baseURL)/identity/v3/\(targetPath)\(actorPath)/roles/\(grant.roleId)")]
        return .object(body)
    }
}
