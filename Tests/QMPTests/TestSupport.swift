import Foundation
import Synchronization
import QMP

/// Short temporary directories: unix socket paths must stay under 108 bytes.
enum TemporaryDirectory {
    static func make() throws -> String {
        var template = Array("/tmp/qmpt.XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        return String(cString: result)
    }
}

struct TimedOut: Error {}

/// Runs `operation`, failing with `TimedOut` after `timeout`.
func withTimeout<T: Sendable>(
    _ timeout: Duration = .seconds(10),
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimedOut() }
        return first
    }
}

/// The next event of `events` that `matches`, skipping others.
func nextEvent(
    in events: AsyncStream<QMPEvent>,
    timeout: Duration = .seconds(10),
    where matches: @escaping @Sendable (QMPEvent) -> Bool
) async throws -> QMPEvent? {
    try await withTimeout(timeout) {
        for await event in events where matches(event) {
            return event
        }
        return nil
    }
}

/// A log that keeps every line, for assertions.
final class RecordingExchangeLog: QMPExchangeLog {
    private let lines = Mutex<[String]>([])

    var recorded: [String] { lines.withLock { $0 } }

    func record(_ direction: QMPExchangeDirection, line: String) {
        lines.withLock { $0.append("\(direction.rawValue) \(line)") }
    }
}
