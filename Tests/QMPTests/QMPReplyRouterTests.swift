import QMP
import Testing

@Suite("Reply routing state machine")
struct QMPReplyRouterTests {
    /// A router past the greeting, with waiters named after their ids.
    private func readyRouter(waiting ids: [UInt64]) -> QMPReplyRouter<String> {
        var router = QMPReplyRouter<String>()
        let registered = router.register("greeting", for: .greeting)
        #expect(registered)
        guard case .deliver("greeting", .success) = router.receive(.greeting([:])) else {
            Issue.record("greeting not delivered")
            return router
        }
        for id in ids {
            let added = router.register("w\(id)", for: .command(id: id))
            #expect(added)
        }
        return router
    }

    @Test("replies reach the waiter of their id, in any order")
    func routesById() {
        var router = readyRouter(waiting: [1, 2, 3])
        guard case .deliver("w3", .success(let three)) = router.receive(.success(id: 3, value: "c")),
            case .deliver("w1", .success(let one)) = router.receive(.success(id: 1, value: "a"))
        else {
            Issue.record("misrouted")
            return
        }
        #expect(three == "c")
        #expect(one == "a")
        #expect(router.waiterCount == 1)
    }

    @Test("an error reply becomes commandFailed for its waiter")
    func errorReply() {
        var router = readyRouter(waiting: [7])
        let action = router.receive(.failure(id: 7, errorClass: "GenericError", description: "Device 'cd9' not found"))
        guard case .deliver("w7", .failure(let error)) = action else {
            Issue.record("not delivered: \(action)")
            return
        }
        #expect(error == .commandFailed(class: "GenericError", description: "Device 'cd9' not found"))
    }

    @Test("events pass through without touching waiters")
    func events() {
        var router = readyRouter(waiting: [1])
        guard case .event(let event) = router.receive(.event(QMPEvent(name: "STOP"))) else {
            Issue.record("event not forwarded")
            return
        }
        #expect(event.name == "STOP")
        #expect(router.waiterCount == 1)
    }

    @Test("replies for unknown or missing ids are ignored, not misdelivered")
    func unknownIds() {
        var router = readyRouter(waiting: [1])
        guard case .ignore = router.receive(.success(id: 99, value: [:])),
            case .ignore = router.receive(.success(id: nil, value: [:])),
            case .ignore = router.receive(.success(id: "1", value: [:]))
        else {
            Issue.record("not ignored")
            return
        }
        #expect(router.waiterCount == 1)
    }

    @Test("anything before the greeting, or a second greeting, is a violation")
    func greetingOrder() {
        var fresh = QMPReplyRouter<String>()
        guard case .violation = fresh.receive(.success(id: 1, value: [:])) else {
            Issue.record("reply before greeting accepted")
            return
        }
        var router = readyRouter(waiting: [])
        guard case .violation = router.receive(.greeting([:])) else {
            Issue.record("second greeting accepted")
            return
        }
    }

    @Test("close hands back every waiter and refuses new ones")
    func close() {
        var router = readyRouter(waiting: [1, 2])
        let failed = router.close()
        #expect(Set(failed) == ["w1", "w2"])
        #expect(router.isClosed)
        let late = router.register("late", for: .command(id: 3))
        #expect(!late)
        guard case .ignore = router.receive(.success(id: 1, value: [:])) else {
            Issue.record("message after close routed")
            return
        }
    }

    @Test("a removed waiter (timeout) no longer receives its late reply")
    func removedWaiter() {
        var router = readyRouter(waiting: [5])
        let removed = router.removeWaiter(for: .command(id: 5))
        #expect(removed == "w5")
        guard case .ignore = router.receive(.success(id: 5, value: [:])) else {
            Issue.record("late reply delivered")
            return
        }
    }

    @Test("a key can be awaited once at a time")
    func duplicateKey() {
        var router = readyRouter(waiting: [1])
        let again = router.register("again", for: .command(id: 1))
        #expect(!again)
    }
}
