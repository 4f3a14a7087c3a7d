import Crypto
import Foundation
import NimbusCore
import Synchronization

/// The kinds of remote console a URL can open.
public enum ConsoleKind: String, Sendable {
    case serial, vnc
}

/// Console URLs carry a random token: valid once, for a short time (Nova's
/// default of ten minutes), for one server and one kind of console. Only
/// the token's SHA-256 is kept, in memory: a restart ends all grants, which
/// costs a user nothing but asking for a new URL.
public final class ConsoleGrants: Sendable {
    public struct Grant: Sendable, Equatable {
        public let server: ServerID
        public let kind: ConsoleKind
        public let expires: Date
    }

    let lifetime: TimeInterval
    private let grants = Mutex<[String: Grant]>([:])
    /// Grants redeemed by an upgrade request, until its websocket handler takes them.
    private let upgrading = Mutex<[String: Grant]>([:])

    public init(lifetime: TimeInterval = 600) {
        self.lifetime = lifetime
    }

    /// A new token for `kind` on `server`.
    public func issue(_ kind: ConsoleKind, for server: ServerID, now: Date = Date()) -> String {
        let token = Hex.string((0..<32).map { _ in UInt8.random(in: 0...255) })
        let grant = Grant(server: server, kind: kind, expires: now.addingTimeInterval(lifetime))
        grants.withLock { grants in
            grants = grants.filter { $0.value.expires > now }
            grants[Self.digest(token)] = grant
        }
        return token
    }

    /// Takes the grant a token carries: nil when it is unknown, used,
    /// expired, or for another kind of console.
    public func redeem(_ token: String, kind: ConsoleKind, now: Date = Date()) -> Grant? {
        let key = Self.digest(token)
        return grants.withLock { grants in
            guard let grant = grants[key], grant.kind == kind else { return nil }
            grants[key] = nil
            return grant.expires > now ? grant : nil
        }
    }

    /// Redeems a token for a websocket upgrade: the grant waits for the
    /// connection's handler, which takes it with `take`.
    public func redeemForUpgrade(_ token: String, kind: ConsoleKind) -> Grant? {
        guard let grant = redeem(token, kind: kind) else { return nil }
        upgrading.withLock { $0[Self.digest(token)] = grant }
        return grant
    }

    public func take(_ token: String) -> Grant? {
        upgrading.withLock { $0.removeValue(forKey: Self.digest(token)) }
    }

    /// Forgets every grant of a server (when it is deleted).
    public func revoke(server: ServerID) {
        grants.withLock { grants in grants = grants.filter { $0.value.server != server } }
    }

    static func digest(_ token: String) -> String {
        Hex.string(SHA256.hash(data: Data(token.utf8)))
    }
}
