import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// Keystone v3 under /identity.
struct IdentityController {
    let identity: IdentityService
    let baseURL: String

    func addRoutes(to router: Router<NimbusRequestContext>) {
        router.get("identity") { _, _ in try versions() }
        router.get("identity/v3") { _, _ in try JSONMessages.response(["version": version]) }
        router.post("identity/v3/auth/tokens") { request, context in try await issueToken(request, context) }

        let authenticated = router.group("identity/v3", context: AuthenticatedContext.self)
        authenticated.get("auth/tokens") { request, context in try validateToken(request, context) }
        authenticated.head("auth/tokens") { request, context in
            _ = try identity.subjectToken(try subjectToken(request), for: context.auth)
            return Response(status: .ok)
        }
        authenticated.delete("auth/tokens") { request, context in
            try identity.revoke(try subjectToken(request), by: context.auth)
            return Response(status: .noContent)
        }
        authenticated.get("auth/projects") { _, context in
            try projectList(try identity.projects(of: context.auth.userId, context.auth))
        }
        authenticated.get("auth/system") { _, context in
            try JSONMessages.response(["system": .array(try identity.systemScopes(context.auth).map { .object($0.mapValues(JSONValue.bool)) }),
                                       "links": ["self": .string("\(baseURL)/identity/v3/auth/system"), "previous": .null, "next": .null]] as [String: JSONValue])
        }
        addAdministration(to: authenticated)
        addCatalog(to: authenticated)
        addCredentials(to: authenticated)
        addGrants(to: authenticated)
    }

    // MARK: Discovery

    var version: [String: JSONValue] {
        [
            "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": .array([.object(["rel": "self", "href": .string("\(baseURL)/identity/v3/")])]),
            "media-types": .array([.object(["base": "application/json", "type": "application/vnd.openstack.identity-v3+json"])]),
        ]
    }

    func versions() throws -> Response {
        try JSONMessages.response(["versions": ["values": [version]]], status: .multipleChoices)
    }

    // MARK: Tokens

    func issueToken(_ request: Request, _ context: NimbusRequestContext) async throws -> Response {
        let body = try await JSONMessages.decode(AuthRequest.self, from: request)
        let methods = body.auth.identity.methods
        let issued: IdentityService.IssuedToken
        if methods.contains("password"), let user = body.auth.identity.password?.user {
            guard let password = user.password else {
                throw NimbusError.badRequest("Invalid input for field 'identity/password/user': 'password' is a required property")
            }
            let reference: IdentityService.UserReference
            if let id = user.id {
                reference = .id(UserID(rawValue: id))
            } else if let name = user.name {
                reference = .name(name, domain: try AuthRequest.domain(user.domain))
            } else {
                throw NimbusError.badRequest("Invalid input for field 'identity/password/user': either 'id' or 'name' is required")
            }
            let defaultProject = try identity.defaultProject(of: reference)
            let scope = try body.scope(defaultProject: defaultProject)
            do {
                issued = try identity.authenticate(user: reference, password: password, scope: scope)
            } catch let error as NimbusError where error.code == .unauthorized && body.auth.scope == nil && defaultProject != nil {
                // Keystone falls back to an unscoped token when the default
                // project is unusable (disabled, or no role on it).
                issued = try identity.authenticate(user: reference, password: password, scope: .unscoped)
            }
        } else if methods.contains("application_credential"), let credential = body.auth.identity.applicationCredential {
            if body.auth.scope != nil {
                throw NimbusError.unauthorized("Application credentials cannot request a scope.")
            }
            guard let secret = credential.secret else {
                throw NimbusError.badRequest("Invalid input for field 'identity/application_credential': 'secret' is a required property")
            }
            let reference: IdentityService.ApplicationCredentialReference
            if let id = credential.id {
                reference = .id(ApplicationCredentialID(rawValue: id))
            } else if let name = credential.name, let user = credential.user {
                if let id = user.id { reference = .name(name, user: .id(UserID(rawValue: id))) }
                else if let userName = user.name { reference = .name(name, user: .name(userName, domain: try AuthRequest.domain(user.domain))) }
                else { throw NimbusError.badRequest("Invalid input for field 'identity/application_credential/user': either 'id' or 'name' is required") }
            } else {
                throw NimbusError.badRequest("Invalid input for field 'identity/application_credential': give 'id', or 'name' with 'user'.")
            }
            issued = try identity.authenticate(applicationCredential: reference, secret: secret)
        } else if methods.contains("token"), let token = body.auth.identity.token?.id {
            issued = try identity.authenticate(token: token, scope: try body.scope(defaultProject: nil))
        } else {
            throw NimbusError.badRequest("Unsupported authentication method; use password or token.")
        }
        let catalog = request.uri.queryParameters["nocatalog"] == nil ? try tokenCatalog(issued.context) : nil
        let tokenBody = try render(issued.context, catalog: catalog)
        return try JSONMessages.response(tokenBody, status: .created, headers: [.xSubjectToken: issued.secret])
    }

    func subjectToken(_ request: Request) throws -> String {
        guard let token = request.headers[.xSubjectToken] else {
            throw NimbusError.badRequest("X-Subject-Token header is required.")
        }
        return token
    }

    func validateToken(_ request: Request, _ context: AuthenticatedContext) throws -> Response {
        let secret = try subjectToken(request)
        let subject = try identity.subjectToken(secret, for: context.auth)
        let catalog = request.uri.queryParameters["nocatalog"] == nil ? try tokenCatalog(subject) : nil
        return try JSONMessages.response(try render(subject, catalog: catalog), headers: [.xSubjectToken: secret])
    }

    func render(_ auth: AuthContext, catalog: [Keystone.CatalogEntry]?) throws -> Keystone.TokenBody {
        let domainNames = try Dictionary(identity.domainNames(), uniquingKeysWith: { first, _ in first })
        func domain(_ id: DomainID) -> Keystone.DomainRef {
            Keystone.DomainRef(id: id.rawValue, name: domainNames[id] ?? id.rawValue)
        }
        let scoped = auth.project != nil || auth.system || auth.domain != nil
        var token = Keystone.Token(
            methods: auth.methods,
            user: Keystone.TokenUser(id: auth.userId.rawValue, name: auth.userName, domain: domain(auth.userDomainId)),
            auditIds: [auth.auditId],
            issuedAt: Timestamps.keystone(auth.issuedAt),
            expiresAt: Timestamps.keystone(auth.expiresAt),
            project: auth.project.map { Keystone.NamedRef(id: $0.id.rawValue, name: $0.name, domain: domain($0.domainId)) },
            isDomain: auth.project == nil ? nil : false,
            roles: scoped ? auth.roles.map { Keystone.NamedRef(id: $0.id.rawValue, name: $0.name) } : nil,
            catalog: scoped ? catalog : nil)
        if auth.system { token.system = ["all": true] }
        token.domain = auth.domain.map { Keystone.DomainRef(id: $0.id.rawValue, name: $0.name) }
        token.applicationCredential = auth.applicationCredential.map {
            Keystone.Token.ApplicationCredential(id: $0.id.rawValue, name: $0.name, restricted: $0.restricted)
        }
        return Keystone.TokenBody(token: token)
    }

    func projectList(_ projects: [Project]) throws -> Response {
        try JSONMessages.response(ProjectList(
            projects: projects.map { Keystone.ProjectBody($0, baseURL: baseURL) },
            links: Keystone.CollectionLinks("\(baseURL)/identity/v3/projects")))
    }

    struct ProjectList: Encodable {
        var projects: [Keystone.ProjectBody]
        var links: Keystone.CollectionLinks
    }
}
