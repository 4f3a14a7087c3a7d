import Compute
import Foundation
import NimbusCore
import Testing

@Suite("Console URL tokens")
struct ConsoleGrantTests {
    let serverA = ServerID(rawValue: "6f1a9e3c-1111-4222-8333-944455556666")
    let serverB = ServerID(rawValue: "6f1a9e3c-1111-4222-8333-944455557777")

    @Test("a token opens its own server's console once, and only the kind it was issued for")
    func once() {
        let grants = ConsoleGrants()
        let token = grants.issue(.serial, for: serverA)
        #expect(token.count == 64, "32 random bytes in hex")
        #expect(grants.redeem(token, kind: .vnc) == nil, "a serial token does not open VNC")
        let other = grants.issue(.serial, for: serverA)
        #expect(grants.redeem(other, kind: .serial)?.server == serverA)
        #expect(grants.redeem(other, kind: .serial) == nil, "used once")
        let forB = grants.issue(.vnc, for: serverB)
        #expect(grants.redeem(forB, kind: .vnc)?.server == serverB)
        #expect(grants.redeem("not-a-token", kind: .serial) == nil)
    }

    @Test("a token expires after the lifetime, and deleting a server revokes its tokens")
    func expiry() {
        let grants = ConsoleGrants(lifetime: 600)
        let start = Date()
        let late = grants.issue(.serial, for: serverA, now: start)
        #expect(grants.redeem(late, kind: .serial, now: start.addingTimeInterval(601)) == nil)
        let onTime = grants.issue(.serial, for: serverA, now: start)
        #expect(grants.redeem(onTime, kind: .serial, now: start.addingTimeInterval(599)) != nil)
        let revoked = grants.issue(.vnc, for: serverA)
        grants.revoke(server: serverA)
        #expect(grants.redeem(revoked, kind: .vnc) == nil)
    }
}
