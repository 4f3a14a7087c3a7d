import Identity
import NimbusCore

/// The body of POST /v3/auth/tokens, as Keystone accepts it.
struct AuthRequest: Decodable {
    struct Reference: Decodable {
        var id: String?
        var name: String?
        var domain: DomainReference?
        var password: String?
    }
    struct DomainReference: Decodable {
        var id: String?
        var name: String?
    }
    struct Identity: Decodable {
        struct Password: Decodable { var user: Reference }
        struct Token: Decodable { var id: String }
        struct ApplicationCredential: Decodable {
            var id: String?
            var name: String?
            var secret: String?
            var user: Reference?
        }
        var methods: [String]
        var password: Password?
        var token: Token?
        var applicationCredential: ApplicationCredential?
        enum CodingKeys: String, CodingKey {
            case methods, password, token
            case applicationCredential = "application_credential"
        }
    }
    struct Scope: Decodable {
        var project: Reference?
        var domain: DomainReference?
        var system: JSONValue?
    }
    struct Auth: Decodable {
        var identity: Identity
        var scope: ScopeField?
    }
    /// `scope` is an object, or the string "unscoped".
    enum ScopeField: Decodable {
        case unscoped
        case scope(Scope)
        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self), text == "unscoped" {
                self = .unscoped
            } else {
                self = .scope(try Scope(from: decoder))
            }
        }
    }
    var auth: Auth

    static func domain(_ reference: DomainReference?) throws -> IdentityService.DomainReference {
        if let id = reference?.id { return .id(DomainID(rawValue: id)) }
        if let name = reference?.name { return .name(name) }
        throw NimbusError.badRequest("Expecting to find domain in project or user - the server could not comply with the request since it is either malformed or otherwise incorrect.")
    }

    func scope(defaultProject: ProjectID?) throws -> IdentityService.Scope {
        switch auth.scope {
        case .unscoped?:
            return .unscoped
        case nil:
            return defaultProject.map { .project(.id($0)) } ?? .unscoped
        case .scope(let scope)?:
            if let system = scope.system {
                guard case .object(let fields) = system, fields["all"] == .bool(true) else {
                    throw NimbusError.badRequest("Invalid input for field 'scope/system': expected {\"all\": true}.")
                }
                return .system
            }
            if let domain = scope.domain { return .domain(try Self.domain(domain)) }
            guard let project = scope.project else { return .unscoped }
            if let id = project.id { return .project(.id(ProjectID(rawValue: id))) }
            guard let name = project.name else {
                throw NimbusError.badRequest("Expecting to find id or name in project - the server could not comply with the request since it is either malformed or otherwise incorrect.")
            }
            return .project(.name(name, domain: try Self.domain(project.domain)))
        }
    }
}
