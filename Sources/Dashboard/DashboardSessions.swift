import Crypto
import Foundation
import Identity
import NimbusCore
import Synchronization

/// The dashboard's logins. The browser holds only an opaque session id in
/// an HttpOnly cookie; the Keystone tokens stay here, in memory, keyed by
/// the id's SHA-256 (so a memory dump holds no usable cookie). A session ends
/// at logout, when its token expires, and when Nimbus restarts.
public final class DashboardSessions: Sendable {
    /// One browser's login.
    struct Session: Sendable {
        /// The unscoped token, kept to switch projects without the password again.
        var unscopedToken: String
        /// The token of the project the user works in.
        var token: String
        var expiresAt: Date
        /// Sent back with every state-changing request (a form field or a header).
        var csrf: String
        /// A message for the next page (Post/Redirect/Get), shown once.
        var notice: Notice?
    }

    /// What the last action did, in words, for the page after it.
    struct Notice: Sendable {
        var text: String
        var isError: Bool
    }

    private let sessions = Mutex<[String: Session]>([:])

    public init() {}

    /// A new session for the tokens; returns the id for the cookie.
    func open(unscoped: String, scoped: String, expiresAt: Date) -> String {
        let id = Self.randomSecret()
        let session = Session(unscopedToken: unscoped, token: scoped, expiresAt: expiresAt, csrf: Self.randomSecret(), notice: nil)
        sessions.withLock { sessions in
            // Expired sessions go whenever a new one opens, so the table stays small.
            let now = Date()
            sessions = sessions.filter { $0.value.expiresAt > now }
            sessions[Self.key(id)] = session
        }
        return id
    }

    func session(_ id: String) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[Self.key(id)] else { return nil }
            guard session.expiresAt > Date() else {
                sessions[Self.key(id)] = nil
                return nil
            }
            return session
        }
    }

    func update(_ id: String, _ change: (inout Session) -> Void) {
        sessions.withLock { sessions in
            guard var session = sessions[Self.key(id)] else { return }
            change(&session)
            sessions[Self.key(id)] = session
        }
    }

    /// Takes the notice for the page being shown.
    func takeNotice(_ id: String) -> Notice? {
        sessions.withLock { sessions in
            let notice = sessions[Self.key(id)]?.notice
            sessions[Self.key(id)]?.notice = nil
            return notice
        }
    }

    func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: Self.key(id)) }
    }

    static func key(_ id: String) -> String {
        Hex.string(SHA256.hash(data: Data(id.utf8)))
    }

    /// 32 random bytes, URL-safe base64.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares in time independent of where the strings differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
