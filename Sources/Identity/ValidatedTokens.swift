import Foundation
import NimbusCore
import Synchronization

/// Tokens already validated, by digest, so a client making request after
/// request with one token costs the database nothing after the first.
///
/// An entry is good only for the store's authority generation it was made
/// at (see `Store.authorityGeneration`): any change to users, projects,
/// domains, roles, grants, credentials or tokens moves the generation and
/// every entry is checked afresh on its next use. Expiry is checked on
/// every hit. The generation is read before the database, so a change that
/// commits while an entry is being built leaves that entry already stale.
final class ValidatedTokens: Sendable {
    /// Enough for every token in active use on one control plane; when full,
    /// the cache starts over rather than tracking recency on the hot path.
    static let capacity = 4096

    private struct Entry {
        let context: AuthContext
        let generation: UInt64
    }

    private let entries = Mutex<[String: Entry]>([:])

    func context(for digest: String, generation: UInt64, now: Date) -> AuthContext? {
        entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            guard entry.generation == generation, entry.context.expiresAt > now else {
                entries[digest] = nil
                return nil
            }
            return entry.context
        }
    }

    func remember(_ context: AuthContext, for digest: String, generation: UInt64) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[digest] = Entry(context: context, generation: generation)
        }
    }
}
