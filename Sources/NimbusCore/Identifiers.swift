import Foundation

/// A typed identifier: the tag keeps a `ProjectID` from being passed where an
/// `ImageID` is expected, while the wire form stays a plain string.
public protocol Identifier: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable
where RawValue == String {
    init(rawValue: String)
}

extension Identifier {
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Keystone-style identifiers: 32 lowercase hex digits (a UUID without dashes).
public protocol KeystoneIdentifier: Identifier {}
extension KeystoneIdentifier {
    public static func generate() -> Self {
        Self(rawValue: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())
    }
}

/// Glance/Nova-style identifiers: a lowercase UUID with dashes.
public protocol UUIDIdentifier: Identifier {}
extension UUIDIdentifier {
    public static func generate() -> Self { Self(rawValue: UUID().uuidString.lowercased()) }
    /// Parses user input; nil when it is not a UUID, so callers can answer 404/400 without a lookup.
    public static func parse(_ text: String) -> Self? {
        guard let uuid = UUID(uuidString: text) else { return nil }
        return Self(rawValue: uuid.uuidString.lowercased())
    }
}

public struct DomainID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Keystone's default domain has the literal id `default`.
    public static let `default` = DomainID(rawValue: "default")
}

public struct ProjectID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct UserID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct RoleID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct ImageID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
