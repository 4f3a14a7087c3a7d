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
extension Image: SnakeCaseRecord { public static let databaseTableName = "image" }
extension ImageMember: SnakeCaseRecord { public static let databaseTableName = "imageMember" }
