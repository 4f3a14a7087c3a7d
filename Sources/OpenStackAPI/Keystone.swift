import Foundation
import NimbusCore

/// Keystone v3 wire types, with Keystone's spellings.
public enum Keystone {
    public struct Link: Codable, Sendable {
        public var `self`: String
        public init(_ href: String) { self.`self` = href }
    }

    public struct DomainRef: Codable, Sendable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct NamedRef: Codable, Sendable {
        public var id: String
        public var name: String
        public var domain: DomainRef?
        public init(id: String, name: String, domain: DomainRef? = nil) {
            self.id = id
            self.name = name
            self.domain = domain
        }
    }

    public struct Endpoint: Codable, Sendable {
        public var id: String
        public var interface: String
        public var region: String?
        public var regionId: String?
        public var url: String
        enum CodingKeys: String, CodingKey { case id, interface, region, url, regionId = "region_id" }
        public init(id: String, interface: String, region: String?, regionId: String?, url: String) {
            self.id = id
            self.interface = interface
            self.region = region
            self.regionId = regionId
            self.url = url
        }
    }

    public struct CatalogEntry: Codable, Sendable {
        public var id: String
        public var type: String
        public var name: String
        public var endpoints: [Endpoint]
        public init(id: String, type: String, name: String, endpoints: [Endpoint]) {
            self.id = id
            self.type = type
            self.name = name
            self.endpoints = endpoints
        }
    }

    public struct Token: Codable, Sendable {
        public var methods: [String]
        public var user: TokenUser
        public var auditIds: [String]
        public var issuedAt: String
        public var expiresAt: String
        public var project: NamedRef?
        /// `{"all": true}` for a system-scoped token.
        public var system: [String: Bool]?
        /// A domain-scoped token's domain.
        public var domain: DomainRef?
        /// The application credential a token was made from.
        public var applicationCredential: ApplicationCredential?
        public struct ApplicationCredential: Codable, Sendable {
            public var id: String
            public var name: String
            public var restricted: Bool
            public init(id: String, name: String, restricted: Bool) {
                self.id = id
                self.name = name
                self.restricted = restricted
            }
        }
        public var isDomain: Bool?
        public var roles: [NamedRef]?
        public var catalog: [CatalogEntry]?
        public init(
            methods: [String], user: TokenUser, auditIds: [String], issuedAt: String, expiresAt: String,
            project: NamedRef?, isDomain: Bool?, roles: [NamedRef]?, catalog: [CatalogEntry]?
        ) {
            self.methods = methods
            self.user = user
            self.auditIds = auditIds
            self.issuedAt = issuedAt
            self.expiresAt = expiresAt
            self.project = project
            self.isDomain = isDomain
            self.roles = roles
            self.catalog = catalog
        }
        enum CodingKeys: String, CodingKey {
            case methods, user, project, system, domain, roles, catalog
            case applicationCredential = "application_credential"
            case auditIds = "audit_ids", issuedAt = "issued_at", expiresAt = "expires_at", isDomain = "is_domain"
        }
    }

    public struct TokenUser: Codable, Sendable {
        public var id: String
        public var name: String
        public var domain: DomainRef
        public var passwordExpiresAt: String?
        public init(id: String, name: String, domain: DomainRef) {
            self.id = id
            self.name = name
            self.domain = domain
        }
        enum CodingKeys: String, CodingKey {
            case id, name, domain
            case passwordExpiresAt = "password_expires_at"
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(domain, forKey: .domain)
            try container.encode(passwordExpiresAt, forKey: .passwordExpiresAt)
        }
    }

    public struct TokenBody: Codable, Sendable {
        public var token: Token
        public init(token: Token) { self.token = token }
    }
}
