import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// Projects, users, roles and role assignments.
extension IdentityController {
    func addAdministration(to router: RouterGroup<AuthenticatedContext>) {
        router.get("domains") { request, context in
            let name = QueryParameters.first(request)["name"]
            let enabled = Self.enabledFilter(QueryParameters.first(request))
            let domains = try identity.domains(context.auth).filter { (name == nil || $0.name == name) && (enabled == nil || $0.enabled == enabled) }
            return try JSONMessages.response(["domains": domains.map { Keystone.DomainBody($0, baseURL: baseURL) }])
        }
        router.get("domains/{id}") { _, context in
            try JSONMessages.response(["domain": Keystone.DomainBody(try identity.domain(try context.parameters.require("id"), context.auth), baseURL: baseURL)])
        }
        router.post("domains") { request, context in
            let body = try await entity("domain", from: request)
            let domain = try identity.createDomain(
                name: try string(body, "name"), description: try string(body, "description"), enabled: try bool(body, "enabled"), context.auth)
            return try JSONMessages.response(["domain": Keystone.DomainBody(domain, baseURL: baseURL)], status: .created)
        }
        router.patch("domains/{id}") { request, context in
            let body = try await entity("domain", from: request)
            let domain = try identity.updateDomain(
                try context.parameters.require("id"), name: try string(body, "name"), description: try string(body, "description"),
                enabled: try bool(body, "enabled"), context.auth)
            return try JSONMessages.response(["domain": Keystone.DomainBody(domain, baseURL: baseURL)])
        }
        router.delete("domains/{id}") { _, context in
            try identity.deleteDomain(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }

        router.get("projects") { request, context in
            let query = QueryParameters.first(request)
            let enabled = Self.enabledFilter(query)
            let tags = TagFilter(query)
            if let isDomain = query["is_domain"], !["false", "0", "no", "off"].contains(isDomain.lowercased()) {
                let domains = try identity.domains(context.auth).filter { (query["name"] == nil || $0.name == query["name"]) && (enabled == nil || $0.enabled == enabled) }
                return try JSONMessages.response(ProjectList(
                    projects: domains.map { Keystone.ProjectBody(domain: $0, baseURL: baseURL) },
                    links: Keystone.CollectionLinks("\(baseURL)/identity/v3/projects")))
            }
            return try projectList(try identity.projects(name: query["name"], domainId: query["domain_id"], context.auth).filter { project in
                (enabled == nil || project.enabled == enabled) && tags.matches(project.tags)
                    && (query["parent_id"] == nil || (project.parentId?.rawValue ?? project.domainId.rawValue) == query["parent_id"])
            })
        }
        router.get("projects/{project}/tags") { _, context in
            try JSONMessages.response(["tags": try identity.project(try context.parameters.require("project"), context.auth).tags])
        }
        router.put("projects/{project}/tags") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard let tags = try strings(body, "tags") else { throw NimbusError.badRequest("Invalid input for field 'tags': 'tags' is a required property.") }
            return try JSONMessages.response(["tags": try identity.setTags(tags, of: try context.parameters.require("project"), context.auth)])
        }
        router.delete("projects/{project}/tags") { _, context in
            _ = try identity.setTags([], of: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.put("projects/{project}/tags/{tag}") { _, context in
            try identity.addTag(try context.parameters.require("tag"), to: try context.parameters.require("project"), context.auth)
            return Response(status: .created)
        }
        router.get("projects/{project}/tags/{tag}") { _, context in
            try identity.checkTag(try context.parameters.require("tag"), on: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.head("projects/{project}/tags/{tag}") { _, context in
            try identity.checkTag(try context.parameters.require("tag"), on: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("projects/{project}/tags/{tag}") { _, context in
            try identity.removeTag(try context.parameters.require("tag"), from: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        // A project acting as a domain is a domain, seen through the projects API (Keystone's is_domain).
        router.post("projects") { request, context in
            let body = try await entity("project", from: request)
            if try bool(body, "is_domain") == true {
                let domain = try identity.createDomain(
                    name: try string(body, "name"), description: try string(body, "description"), enabled: try bool(body, "enabled"), context.auth)
                return try JSONMessages.response(["project": Keystone.ProjectBody(domain: domain, baseURL: baseURL)], status: .created)
            }
            let project = try identity.createProject(try projectChanges(body), context.auth)
            return try JSONMessages.response(["project": Keystone.ProjectBody(project, baseURL: baseURL)], status: .created)
        }
        router.get("projects/{project}") { _, context in
            let id = try context.parameters.require("project")
            if let domain = try identity.domainActingAsProject(id, context.auth) {
                return try JSONMessages.response(["project": Keystone.ProjectBody(domain: domain, baseURL: baseURL)])
            }
            let project = try identity.project(id, context.auth)
            return try JSONMessages.response(["project": Keystone.ProjectBody(project, baseURL: baseURL)])
        }
        router.patch("projects/{project}") { request, context in
            let body = try await entity("project", from: request)
            let id = try context.parameters.require("project")
            if try identity.domainActingAsProject(id, context.auth) != nil {
                let domain = try identity.updateDomain(
                    id, name: try string(body, "name"), description: try string(body, "description"), enabled: try bool(body, "enabled"), context.auth)
                return try JSONMessages.response(["project": Keystone.ProjectBody(domain: domain, baseURL: baseURL)])
            }
            let project = try identity.updateProject(id, try projectChanges(body), context.auth)
            return try JSONMessages.response(["project": Keystone.ProjectBody(project, baseURL: baseURL)])
        }
        router.delete("projects/{project}") { _, context in
            let id = try context.parameters.require("project")
            if try identity.domainActingAsProject(id, context.auth) != nil {
                try identity.deleteDomain(id, context.auth)
            } else {
                try identity.deleteProject(id, context.auth)
            }
            return Response(status: .noContent)
        }

        router.get("users") { request, context in
            let query = QueryParameters.first(request)
            let enabled = Self.enabledFilter(query)
            let users = try identity.users(name: query["name"], domainId: query["domain_id"], context.auth).filter { enabled == nil || $0.enabled == enabled }
            return try JSONMessages.response(UserList(
                users: users.map { Keystone.UserBody($0, baseURL: baseURL) },
                links: Keystone.CollectionLinks("\(baseURL)/identity/v3/users")))
        }
        router.post("users") { request, context in
            let body = try await entity("user", from: request)
            let user = try identity.createUser(try userChanges(body), context.auth)
            return try JSONMessages.response(["user": Keystone.UserBody(user, baseURL: baseURL)], status: .created)
        }
        router.get("users/{user}") { _, context in
            let user = try identity.user(try context.parameters.require("user"), context.auth)
            return try JSONMessages.response(["user": Keystone.UserBody(user, baseURL: baseURL)])
        }
        router.patch("users/{user}") { request, context in
            let body = try await entity("user", from: request)
            let user = try identity.updateUser(try context.parameters.require("user"), try userChanges(body), context.auth)
            return try JSONMessages.response(["user": Keystone.UserBody(user, baseURL: baseURL)])
        }
        router.delete("users/{user}") { _, context in
            try identity.deleteUser(try context.parameters.require("user"), context.auth)
            return Response(status: .noContent)
        }
        router.post("users/{user}/password") { request, context in
            let body = try await entity("user", from: request)
            guard let original = try string(body, "original_password"), let password = try string(body, "password") else {
                throw NimbusError.badRequest("Invalid input for field 'user': 'original_password' and 'password' are required properties.")
            }
            try identity.changePassword(try context.parameters.require("user"), original: original, new: password, context.auth)
            return Response(status: .noContent)
        }
        router.get("users/{user}/projects") { _, context in
            try projectList(try identity.projects(of: UserID(rawValue: try context.parameters.require("user")), context.auth))
        }

        router.get("roles") { request, context in
            let query = QueryParameters.first(request)
            let roles = try identity.roles(name: query["name"], domainId: query["domain_id"], context.auth)
            return try JSONMessages.response(["roles": roles.map { Keystone.RoleBody($0, baseURL: baseURL) }])
        }
        router.post("roles") { request, context in
            let body = try await entity("role", from: request)
            let role = try identity.createRole(
                name: try string(body, "name"), description: try string(body, "description"), domainId: try string(body, "domain_id"), context.auth)
            return try JSONMessages.response(["role": Keystone.RoleBody(role, baseURL: baseURL)], status: .created)
        }
        router.patch("roles/{role}") { request, context in
            let body = try await entity("role", from: request)
            let role = try identity.updateRole(
                try context.parameters.require("role"), name: try string(body, "name"), description: try string(body, "description"), context.auth)
            return try JSONMessages.response(["role": Keystone.RoleBody(role, baseURL: baseURL)])
        }
        router.get("roles/{role}") { _, context in
            try JSONMessages.response(["role": Keystone.RoleBody(try identity.role(try context.parameters.require("role"), context.auth), baseURL: baseURL)])
        }
        router.delete("roles/{role}") { _, context in
            try identity.deleteRole(try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }

        router.get("projects/{project}/users/{user}/roles") { _, context in
            let roles = try identity.roles(
                project: try context.parameters.require("project"), user: try context.parameters.require("user"), context.auth)
            return try JSONMessages.response(["roles": roles.map { Keystone.RoleBody($0, baseURL: baseURL) }])
        }
        router.put("projects/{project}/users/{user}/roles/{role}") { _, context in
            try identity.grant(
                project: try context.parameters.require("project"), user: try context.parameters.require("user"),
                role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.head("projects/{project}/users/{user}/roles/{role}") { _, context in
            try identity.checkGrant(
                project: try context.parameters.require("project"), user: try context.parameters.require("user"),
                role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("projects/{project}/users/{user}/roles/{role}") { _, context in
            try identity.revoke(
                project: try context.parameters.require("project"), user: try context.parameters.require("user"),
                role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        // Application credentials: secrets for automation, bound to a project and roles.
        router.post("users/{user}/application_credentials") { request, context in
            let body = try await entity("application_credential", from: request)
            guard let name = try string(body, "name") else {
                throw NimbusError.badRequest("Invalid input for field 'application_credential': 'name' is a required property.")
            }
            var draft = IdentityService.ApplicationCredentialDraft(name: name)
            draft.description = try string(body, "description") ?? ""
            draft.secret = try string(body, "secret")
            draft.unrestricted = try bool(body, "unrestricted") ?? false
            if let expiry = try string(body, "expires_at") {
                guard let date = Timestamps.parseKeystone(expiry) else {
                    throw NimbusError.badRequest("Invalid input for field 'expires_at': '\(expiry)' is not a date and time.")
                }
                draft.expiresAt = date
            }
            switch body["roles"] {
            case nil, .null?: break
            case .array(let items)?:
                draft.roles = try items.map { item in
                    guard case .object(let role) = item, let reference = role["id"]?.stringValue ?? role["name"]?.stringValue else {
                        throw NimbusError.badRequest("Invalid input for field 'roles': each role is {\"id\": …} or {\"name\": …}.")
                    }
                    return reference
                }
            case let other?: throw NimbusError.badRequest("Invalid input for field 'roles': expected a list, found \(other.typeName).")
            }
            let (credential, secret) = try identity.createApplicationCredential(user: try context.parameters.require("user"), draft, context.auth)
            var rendered = try applicationCredential(credential)
            rendered["secret"] = .string(secret)
            return try JSONMessages.response(["application_credential": .object(rendered)] as [String: JSONValue], status: .created)
        }
        router.get("users/{user}/application_credentials") { request, context in
            let found = try identity.applicationCredentials(
                user: try context.parameters.require("user"), name: QueryParameters.first(request)["name"], context.auth)
            return try JSONMessages.response(["application_credentials": .array(try found.map { .object(try applicationCredential($0)) })] as [String: JSONValue])
        }
        router.get("users/{user}/application_credentials/{id}") { _, context in
            let found = try identity.applicationCredential(user: try context.parameters.require("user"), id: try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["application_credential": .object(try applicationCredential(found))] as [String: JSONValue])
        }
        router.delete("users/{user}/application_credentials/{id}") { _, context in
            try identity.deleteApplicationCredential(user: try context.parameters.require("user"), id: try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        // Implied roles.
        @Sendable func reference(_ role: Role) -> JSONValue {
            ["id": .string(role.id.rawValue), "name": .string(role.name), "links": ["self": .string("\(baseURL)/identity/v3/roles/\(role.id)")]]
        }
        router.put("roles/{role}/implies/{implied}") { _, context in
            let (prior, implied) = try identity.createInference(
                prior: try context.parameters.require("role"), implied: try context.parameters.require("implied"), context.auth)
            return try JSONMessages.response(["role_inference": ["prior_role": reference(prior), "implies": reference(implied)]] as [String: JSONValue],
                                             status: .created)
        }
        router.get("roles/{role}/implies/{implied}") { _, context in
            let (prior, implied) = try identity.checkInference(
                prior: try context.parameters.require("role"), implied: try context.parameters.require("implied"), context.auth)
            return try JSONMessages.response(["role_inference": ["prior_role": reference(prior), "implies": reference(implied)]] as [String: JSONValue])
        }
        router.head("roles/{role}/implies/{implied}") { _, context in
            _ = try identity.checkInference(prior: try context.parameters.require("role"), implied: try context.parameters.require("implied"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("roles/{role}/implies/{implied}") { _, context in
            try identity.deleteInference(prior: try context.parameters.require("role"), implied: try context.parameters.require("implied"), context.auth)
            return Response(status: .noContent)
        }
        router.get("roles/{role}/implies") { _, context in
            let found = try identity.inferences(prior: try context.parameters.require("role"), context.auth)
            guard let entry = found.first else { throw NimbusError.notFound("Could not find role.") }
            return try JSONMessages.response(["role_inference": ["prior_role": reference(entry.prior), "implies": .array(entry.implies.map(reference))]] as [String: JSONValue])
        }
        router.get("role_inferences") { _, context in
            let found = try identity.inferences(prior: nil, context.auth)
            return try JSONMessages.response(["role_inferences": .array(found.map { ["prior_role": reference($0.prior), "implies": .array($0.implies.map(reference))] })] as [String: JSONValue])
        }
        // Groups and their members.
        router.get("groups") { request, context in
            let query = QueryParameters.first(request)
            let groups = try identity.groups(name: query["name"], domainId: query["domain_id"], context.auth)
            return try JSONMessages.response(["groups": groups.map { Keystone.GroupBody($0, baseURL: baseURL) }])
        }
        router.post("groups") { request, context in
            let body = try await entity("group", from: request)
            let group = try identity.createGroup(
                name: try string(body, "name"), description: try string(body, "description"), domainId: try string(body, "domain_id"), context.auth)
            return try JSONMessages.response(["group": Keystone.GroupBody(group, baseURL: baseURL)], status: .created)
        }
        router.get("groups/{group}") { _, context in
            try JSONMessages.response(["group": Keystone.GroupBody(try identity.group(try context.parameters.require("group"), context.auth), baseURL: baseURL)])
        }
        router.patch("groups/{group}") { request, context in
            let body = try await entity("group", from: request)
            let group = try identity.updateGroup(
                try context.parameters.require("group"), name: try string(body, "name"), description: try string(body, "description"), context.auth)
            return try JSONMessages.response(["group": Keystone.GroupBody(group, baseURL: baseURL)])
        }
        router.delete("groups/{group}") { _, context in
            try identity.deleteGroup(try context.parameters.require("group"), context.auth)
            return Response(status: .noContent)
        }
        router.get("groups/{group}/users") { _, context in
            let users = try identity.members(of: try context.parameters.require("group"), context.auth)
            return try JSONMessages.response(UserList(users: users.map { Keystone.UserBody($0, baseURL: baseURL) },
                                                      links: Keystone.CollectionLinks("\(baseURL)/identity/v3/groups/users")))
        }
        router.put("groups/{group}/users/{user}") { _, context in
            try identity.addMember(try context.parameters.require("user"), to: try context.parameters.require("group"), context.auth)
            return Response(status: .noContent)
        }
        router.head("groups/{group}/users/{user}") { _, context in
            try identity.checkMember(try context.parameters.require("user"), of: try context.parameters.require("group"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("groups/{group}/users/{user}") { _, context in
            try identity.removeMember(try context.parameters.require("user"), from: try context.parameters.require("group"), context.auth)
            return Response(status: .noContent)
        }
        router.get("users/{user}/groups") { _, context in
            let groups = try identity.groups(of: try context.parameters.require("user"), context.auth)
            return try JSONMessages.response(["groups": groups.map { Keystone.GroupBody($0, baseURL: baseURL) }])
        }
        router.get("projects/{project}/groups/{group}/roles") { _, context in
            let roles = try identity.roles(project: try context.parameters.require("project"), group: try context.parameters.require("group"), context.auth)
            return try JSONMessages.response(["roles": roles.map { Keystone.RoleBody($0, baseURL: baseURL) }])
        }
        router.put("projects/{project}/groups/{group}/roles/{role}") { _, context in
            try identity.grant(project: try context.parameters.require("project"), group: try context.parameters.require("group"),
                               role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.head("projects/{project}/groups/{group}/roles/{role}") { _, context in
            try identity.checkGrant(project: try context.parameters.require("project"), group: try context.parameters.require("group"),
                                    role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("projects/{project}/groups/{group}/roles/{role}") { _, context in
            try identity.revoke(project: try context.parameters.require("project"), group: try context.parameters.require("group"),
                                role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        // Roles on the system (Keystone's system scope).
        router.get("system/users/{user}/roles") { _, context in
            let roles = try identity.systemRoles(user: try context.parameters.require("user"), context.auth)
            return try JSONMessages.response(["roles": roles.map { Keystone.RoleBody($0, baseURL: baseURL) }])
        }
        router.put("system/users/{user}/roles/{role}") { _, context in
            try identity.grantSystem(user: try context.parameters.require("user"), role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.head("system/users/{user}/roles/{role}") { _, context in
            try identity.checkSystem(user: try context.parameters.require("user"), role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.get("system/users/{user}/roles/{role}") { _, context in
            try identity.checkSystem(user: try context.parameters.require("user"), role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("system/users/{user}/roles/{role}") { _, context in
            try identity.revokeSystem(user: try context.parameters.require("user"), role: try context.parameters.require("role"), context.auth)
            return Response(status: .noContent)
        }
    }

    // MARK: Bodies

    /// Keystone's `enabled` list filter: false, 0, no or off is false; anything else present is true.
    static func enabledFilter(_ query: [String: String]) -> Bool? {
        query["enabled"].map { !["false", "0", "no", "off"].contains($0.lowercased()) }
    }

    func applicationCredential(_ credential: ApplicationCredential) throws -> [String: JSONValue] {
        [
            "id": .string(credential.id.rawValue), "name": .string(credential.name), "description": .string(credential.description),
            "user_id": .string(credential.userId.rawValue), "project_id": .string(credential.projectId.rawValue),
            "expires_at": credential.expiresAt.map { .string(Timestamps.keystoneNaive($0)) } ?? .null,
            "unrestricted": .bool(credential.unrestricted), "access_rules": [],
            "roles": .array(try identity.roles(ids: credential.roleIds).map { ["id": .string($0.id.rawValue), "name": .string($0.name), "domain_id": .null] }),
            "links": ["self": .string("\(baseURL)/identity/v3/users/\(credential.userId)/application_credentials/\(credential.id)")],
        ]
    }

    struct UserList: Encodable {
        var users: [Keystone.UserBody]
        var links: Keystone.CollectionLinks
    }

    /// The object under `key` in a request body such as `{"project": {...}}`.
    func entity(_ key: String, from request: Request) async throws -> [String: JSONValue] {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        guard case .object(let entity)? = body[key] else {
            throw NimbusError.badRequest("Invalid input for field '\(key)': '\(key)' is a required property and must be an object.")
        }
        return entity
    }

    func string(_ body: [String: JSONValue], _ key: String) throws -> String? {
        switch body[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw NimbusError.badRequest("Invalid input for field '\(key)': expected a string, found \(other.typeName).")
        }
    }

    func strings(_ body: [String: JSONValue], _ key: String) throws -> [String]? {
        switch body[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let text) = item else {
                    throw NimbusError.badRequest("Invalid input for field '\(key)': expected a list of strings, found \(item.typeName).")
                }
                return text
            }
        case let other?: throw NimbusError.badRequest("Invalid input for field '\(key)': expected a list, found \(other.typeName).")
        }
    }

    func bool(_ body: [String: JSONValue], _ key: String) throws -> Bool? {
        switch body[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw NimbusError.badRequest("Invalid input for field '\(key)': expected a boolean, found \(other.typeName).")
        }
    }

    func projectChanges(_ body: [String: JSONValue]) throws -> IdentityService.ProjectChanges {
        return IdentityService.ProjectChanges(
            name: try string(body, "name"), description: try string(body, "description"),
            enabled: try bool(body, "enabled"), domainId: try string(body, "domain_id").map(DomainID.init(rawValue:)),
            parentId: try string(body, "parent_id").map(ProjectID.init(rawValue:)), tags: try strings(body, "tags"))
    }

    func userChanges(_ body: [String: JSONValue]) throws -> IdentityService.UserChanges {
        var changes = IdentityService.UserChanges(
            name: try string(body, "name"), password: try string(body, "password"), email: try string(body, "email"),
            description: try string(body, "description"), enabled: try bool(body, "enabled"),
            domainId: try string(body, "domain_id").map(DomainID.init(rawValue:)),
            defaultProjectId: try string(body, "default_project_id").map(ProjectID.init(rawValue:)))
        let known: Set<String> = [
            "id", "name", "password", "email", "description", "enabled", "domain_id", "default_project_id", "links",
            "password_expires_at", "options", "federated",
        ]
        changes.extra = body.filter { !known.contains($0.key) }
        return changes
    }
}
