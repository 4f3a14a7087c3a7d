/// Whom a reply belongs to: the greeting, or the command sent with an id.
package enum QMPWaiterKey: Hashable, Sendable {
    /// The greeting QEMU sends first.
    case greeting
    /// The command sent with this `id`.
    case command(id: UInt64)
}

/// The routing state machine of a QMP connection, free of I/O.
///
/// It holds the waiters (whatever the client resumes, e.g. continuations) by
/// key and turns each incoming message into one action. The client executes
/// the actions; tests drive the machine directly.
package struct QMPReplyRouter<Waiter> {
    /// What to do with one incoming message.
    package enum Action {
        /// Resume `waiter` with the result.
        case deliver(Waiter, Result<QMPJSON, QMPError>)
        /// Forward the event to the event stream.
        case event(QMPEvent)
        /// Nothing waits for this message (e.g. the reply to a command that
        /// timed out); log it and go on.
        case ignore(reason: String)
        /// The peer broke the protocol: close the connection.
        case violation(String)
    }

    private enum Phase {
        case awaitingGreeting, ready, closed
    }

    private var phase: Phase = .awaitingGreeting
    private var waiters: [QMPWaiterKey: Waiter] = [:]

    /// Creates a router awaiting QEMU's greeting.
    package init() {}

    /// True once `close()` ran: no waiter can be registered any more.
    package var isClosed: Bool { phase == .closed }

    /// The number of registered waiters.
    package var waiterCount: Int { waiters.count }

    /// Registers `waiter` for `key`. Returns false, registering nothing, when
    /// the router is closed or the key is taken; the caller then fails the waiter.
    package mutating func register(_ waiter: Waiter, for key: QMPWaiterKey) -> Bool {
        guard phase != .closed, waiters[key] == nil else { return false }
        waiters[key] = waiter
        return true
    }

    /// Removes and returns the waiter for `key` (timeout, cancellation, failed write).
    package mutating func removeWaiter(for key: QMPWaiterKey) -> Waiter? {
        waiters.removeValue(forKey: key)
    }

    /// Routes one message.
    package mutating func receive(_ message: QMPMessage) -> Action {
        switch (phase, message) {
        case (.closed, _):
            return .ignore(reason: "message after close")
        case (.awaitingGreeting, .greeting(let value)):
            phase = .ready
            guard let waiter = waiters.removeValue(forKey: .greeting) else {
                return .ignore(reason: "greeting with nobody waiting")
            }
            return .deliver(waiter, .success(value))
        case (.awaitingGreeting, _):
            return .violation("message before the greeting")
        case (.ready, .greeting):
            return .violation("second greeting")
        case (.ready, .event(let event)):
            return .event(event)
        case (.ready, .success(let id, let value)):
            return route(id: id, .success(value))
        case (.ready, .failure(let id, let errorClass, let description)):
            return route(id: id, .failure(.commandFailed(class: errorClass, description: description)))
        }
    }

    /// Closes the router and returns every waiter, for the caller to fail.
    package mutating func close() -> [Waiter] {
        phase = .closed
        let all = Array(waiters.values)
        waiters.removeAll()
        return all
    }

    private mutating func route(id: QMPJSON?, _ result: Result<QMPJSON, QMPError>) -> Action {
        guard let raw = id?.intValue, let number = UInt64(exactly: raw) else {
            return .ignore(reason: "reply without a numeric id: \(result)")
        }
        guard let waiter = waiters.removeValue(forKey: .command(id: number)) else {
            return .ignore(reason: "reply to id \(number), which nobody awaits (timed out or cancelled)")
        }
        return .deliver(waiter, result)
    }
}

extension QMPReplyRouter: Sendable where Waiter: Sendable {}
