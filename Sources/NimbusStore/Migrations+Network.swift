import GRDB

extension Store {
    /// Networks, subnets and ports.
    static func registerNetworkMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
