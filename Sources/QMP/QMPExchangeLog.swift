/// Which way a logged line went.
public enum QMPExchangeDirection: String, Sendable {
    /// From Nimbus to QEMU.
    case sent = "->"
    /// From QEMU to Nimbus.
    case received = "<-"
}

/// Receives every line a `QMPClient` sends and receives, in order, so the
/// compute service can keep each instance's `qmp.log`.
///
/// `record` is called on the client's actor while it handles the line: keep it
/// quick and never block on the client.
public protocol QMPExchangeLog: Sendable {
    /// One line, without its terminator.
    func record(_ direction: QMPExchangeDirection, line: String)
}

/// A `QMPExchangeLog` that calls a closure.
public struct QMPClosureExchangeLog: QMPExchangeLog {
    private let body: @Sendable (QMPExchangeDirection, String) -> Void

    /// Calls `body` with each line.
    public init(_ body: @escaping @Sendable (QMPExchangeDirection, String) -> Void) {
        self.body = body
    }

    /// Forwards the line to the closure.
    public func record(_ direction: QMPExchangeDirection, line: String) {
        body(direction, line)
    }
}

extension QMPExchangeLog where Self == QMPClosureExchangeLog {
    /// A log that calls `body` with each line.
    public static func closure(_ body: @escaping @Sendable (QMPExchangeDirection, String) -> Void) -> Self {
        QMPClosureExchangeLog(body)
    }
}
