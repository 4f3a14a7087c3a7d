import Foundation
import GRDB
import Synchronization
import NimbusCore

// GRDB conformances for the domain values; the values themselves stay free of GRDB.

extension DomainID: DatabaseValueConvertible {}
extension ProjectID: DatabaseValueConvertible {}
extension UserID: DatabaseValueConvertible {}
extension RoleID: DatabaseValueConvertible {}
extension ImageID: DatabaseValueConvertible {}
extension ImageStatus: DatabaseValueConvertible {}
extension ImageVisibility: DatabaseValueConvertible {}
extension ImageMember.Status: DatabaseValueConvertible {}

/// Snake-case columns for every record.
protocol SnakeCaseRecord: FetchableRecord, PersistableRecord {}
extension SnakeCaseRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .custom(SnakeCaseColumns.key(forColumn:)) }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

/// Column names to property names, as GRDB's `convertFromSnakeCase` makes
/// them (`os_hash_value` → `osHashValue`), worked out once per column:
/// converting every column of every row again was a sixth of a list's time.
enum SnakeCaseColumns {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let known = Mutex<[String: Key]>([:])

    @Sendable static func key(forColumn column: String) -> any CodingKey {
        if let key = known.withLock({ $0[column] }) { return key }
        let key = Key(stringValue: camelCase(column))
        known.withLock { $0[column] = key }
        return key
    }

    /// Underscores around the name stay; a name with none inside stays as it is.
    static func camelCase(_ column: String) -> String {
        guard let first = column.firstIndex(where: { $0 != "_" }), let last = column.lastIndex(where: { $0 != "_" }) else { return column }
        let words = column[first...last].split(separator: "_")
        guard words.count > 1 else { return column }
        let joined = words[0].lowercased() + words.dropFirst().map(\.capitalized).joined()
        return String(column[..<first]) + joined + String(column[column.index(after: last)...])
    }
}

extension Domain: SnakeCaseRecord { public static let databaseTableName = "domain" }
extension Project: SnakeCaseRecord { public static let databaseTableName = "project" }
extension User: SnakeCaseRecord { public static let databaseTableName = "user" }
extension Role: SnakeCaseRecord { public static let databaseTableName = "role" }
extension RoleAssignment: SnakeCaseRecord { public static let databaseTableName = "roleAssignment" }
extension TokenRecord: SnakeCaseRecord { public static let databaseTableName = "token" }
extension Image: SnakeCaseRecord {
    public static let databaseTableName = "image"

    /// Read by hand: GRDB's Codable decoding with snake-case keys cost more
    /// than the query itself, and a list reads a page of images per request.
    public init(row: Row) throws {
        self.init(id: row["id"], owner: row["owner"], now: row["created_at"])
        name = row["name"]
        status = row["status"]
        visibility = row["visibility"]
        protected = row["protected"]
        osHidden = row["os_hidden"]
        diskFormat = row["disk_format"]
        containerFormat = row["container_format"]
        minDisk = row["min_disk"]
        minRam = row["min_ram"]
        size = row["size"]
        virtualSize = row["virtual_size"]
        checksum = row["checksum"]
        osHashAlgo = row["os_hash_algo"]
        osHashValue = row["os_hash_value"]
        blob = row["blob"]
        properties = try JSONDecoder().decode([String: String].self, from: row["properties"] as Data)
        tags = try JSONDecoder().decode([String].self, from: row["tags"] as Data)
        updatedAt = row["updated_at"]
    }
}
extension ImageMember: SnakeCaseRecord { public static let databaseTableName = "imageMember" }
