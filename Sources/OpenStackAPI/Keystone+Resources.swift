import Foundation
import NimbusCore

extension Keystone {
    public struct ProjectBody: Codable, Sendable {
        public var id: String
        public var name: String
        public var domainId: String?
        public var description: String
        public var enabled: Bool
        public var isDomain: Bool
        public var parentId: String?
        public var tags: [String]
        public var links: Link
        enum CodingKeys: String, CodingKey {
            case id, name, description, enabled, tags, links
            case domainId = "domain_id", isDomain = "is_domain", parentId = "parent_id"
        }
        public init(_ project: Project, baseURL: String) {
            id = project.id.rawValue
            name = project.name
            domainId = project.domainId.rawValue
            description = project.description
            enabled = project.enabled
            isDomain = false
            parentId = (project.parentId?.rawValue ?? project.domainId.rawValue)
            tags = project.tags
            links = Link("\(baseURL)/identity/v3/projects/\(project.id)")
        }
        /// A domain seen as the project that acts as it: at the top, in no domain.
        public init(domain: Domain, baseURL: String) {
            id = domain.id.rawValue
            name = domain.name
            domainId = nil
            description = domain.description
            enabled = domain.enabled
            isDomain = true
            parentId = nil
            tags = []
            links = Link("\(baseURL)/identity/v3/projects/\(domain.id)")
        }
    }

    public struct UserBody: Codable, Sendable {
        public var id: String
        public var name: String
        public var domainId: String
        public var enabled: Bool
        public var email: String?
        public var description: String?
        public var defaultProjectId: String?
        public var passwordExpiresAt: String?
        public var links: Link
        enum CodingKeys: String, CodingKey {
            case id, name, enabled, email, description, links
            case domainId = "domain_id", defaultProjectId = "default_project_id", passwordExpiresAt = "password_expires_at"
        }
        public init(_ user: User, baseURL: String) {
            id = user.id.rawValue
            name = user.name
            domainId = user.domainId.rawValue
            enabled = user.enabled
            email = user.email
            description = user.description.isEmpty ? nil : user.description
            defaultProjectId = user.defaultProjectId?.rawValue
            passwordExpiresAt = nil
            links = Link("\(baseURL)/identity/v3/users/\(user.id)")
            extra = user.extra
        }
        /// Attributes Keystone does not define, returned beside the others as given.
        public var extra: [String: JSONValue] = [:]

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(domainId, forKey: .domainId)
            try container.encode(enabled, forKey: .enabled)
            try container.encodeIfPresent(email, forKey: .email)
            try container.encodeIfPresent(description, forKey: .description)
            try container.encodeIfPresent(defaultProjectId, forKey: .defaultProjectId)
            try container.encode(passwordExpiresAt, forKey: .passwordExpiresAt)
            try container.encode(links, forKey: .links)
            var extras = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in extra where CodingKeys(stringValue: key) == nil {
                try extras.encode(value, forKey: AnyKey(key))
            }
        }
    }

    /// A coding key for attributes whose names come with the data.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public struct RoleBody: Codable, Sendable {
        public var id: String
        public var name: String
        public var description: String?
        public var domainId: String?
        public var links: Link
        enum CodingKeys: String, CodingKey {
            case id, name, description, links
            case domainId = "domain_id"
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(description, forKey: .description)
            try container.encode(domainId, forKey: .domainId)
            try container.encode(links, forKey: .links)
        }
        public init(_ role: Role, baseURL: String) {
            id = role.id.rawValue
            name = role.name
            description = role.description.isEmpty ? nil : role.description
            domainId = role.domainId?.rawValue
            links = Link("\(baseURL)/identity/v3/roles/\(role.id)")
        }
    }

    public struct DomainBody: Codable, Sendable {
        public var id: String
        public var name: String
        public var description: String
        public var enabled: Bool
        public var links: Link
        public init(_ domain: Domain, baseURL: String) {
            id = domain.id.rawValue
            name = domain.name
            description = domain.description
            enabled = domain.enabled
            links = Link("\(baseURL)/identity/v3/domains/\(domain.id)")
        }
    }

    public struct GroupBody: Codable, Sendable {
        public var id: String
        public var name: String
        public var description: String
        public var domainId: String
        public var links: Link
        enum CodingKeys: String, CodingKey {
            case id, name, description, links
            case domainId = "domain_id"
        }
        public init(_ group: Group, baseURL: String) {
            id = group.id.rawValue
            name = group.name
            description = group.description
            domainId = group.domainId.rawValue
            links = Link("\(baseURL)/identity/v3/groups/\(group.id)")
        }
    }

    /// The links block of a collection.
    public struct CollectionLinks: Codable, Sendable {
        public var `self`: String
        public var previous: String?
        public var next: String?
        public init(_ href: String) { self.`self` = href }
    }
}
