import GRDB
import Synchronization

/// Counts the commits that may change what a token stands for, so a cache of
/// validated tokens can tell when to forget: an entry made at an older count
/// is stale. The counter moves after the commit and before `write` returns,
/// so a revocation's caller never sees a token the revocation refused.
///
/// The rule is written the safe way round: every table counts except those
/// known to play no part in authentication, so a table added later
/// invalidates the cache until someone decides otherwise. A new token
/// (an insert into `token`) changes no other token and does not count.
final class AuthorityGeneration: TransactionObserver, Sendable {
    /// Tables that never decide who a token speaks for or with which roles.
    static let unrelatedTables: Set<String> = [
        "image", "imageMember", "server", "instanceAction", "serverGroup", "serverGroupMember", "keypair", "flavor",
        "flavorAccess", "quotaOverride", "network", "subnet", "port", "ipAllocation", "floatingIP", "portForwarding",
        "portSecurityGroup", "securityGroup", "securityGroupRule", "router", "region", "catalogService", "endpoint",
        "endpointGroup", "endpointGroupProject", "projectEndpoint", "catalogOrigin", "credential", "policyDocument",
        "loginFailure", "grdb_migrations",
    ]

    private let state = Mutex(State())

    private struct State {
        var generation: UInt64 = 0
        var pending = false
    }

    var current: UInt64 { state.withLock { $0.generation } }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind, table == "token" { return false }
        return !Self.unrelatedTables.contains(eventKind.tableName)
    }

    func databaseDidChange(with event: DatabaseEvent) {
        state.withLock { $0.pending = true }
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidCommit(_ db: Database) {
        state.withLock { state in
            if state.pending { state.generation &+= 1 }
            state.pending = false
        }
    }

    func databaseDidRollback(_ db: Database) {
        state.withLock { $0.pending = false }
    }
}
