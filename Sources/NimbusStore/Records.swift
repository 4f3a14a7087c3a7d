import Foundation
import GRDB
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
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
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
