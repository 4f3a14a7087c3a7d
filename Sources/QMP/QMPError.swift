/// Everything that can go wrong while talking to a QEMU monitor.
///
/// The enum is closed on purpose: callers (the compute service) translate each
/// case once, at their module boundary, into their own domain error. APIs that
/// suspend may also throw `CancellationError` when the calling task is cancelled.
public enum QMPError: Error, Equatable, Sendable {
    /// The unix socket could not be connected. `errno` is set when the kernel
    /// said why (`ENOENT`: no socket, so no QEMU; `ECONNREFUSED`: a stale socket
    /// whose QEMU is gone, or a QEMU that has bound but not yet listens, so
    /// retry briefly right after launching QEMU). `errno` is nil for a path
    /// longer than a unix socket address holds (107 bytes on Linux).
    case connectionFailed(path: String, errno: Int32?, description: String)

    /// No answer arrived in time. `command` is the QMP command name, or
    /// `"greeting"` when QEMU never sent its greeting (for example because
    /// another client holds the monitor: QEMU serves one QMP client per socket).
    case timeout(command: String)

    /// The connection ended (QEMU quit, crashed, or `close()` was called)
    /// before the answer arrived, or the client was already closed.
    case disconnected

    /// QEMU answered with an error object: `{"error": {"class": …, "desc": …}}`.
    case commandFailed(class: String, description: String)

    /// The peer broke the protocol: a line that is not a JSON object, a message
    /// before the greeting, an over-long line, or a reply whose `return` value
    /// does not decode as the command's response type.
    case protocolViolation(String)

    /// A human monitor (HMP) command printed text that reports a failure.
    /// HMP failures are not QMP errors: QEMU returns them as ordinary output.
    case humanMonitorFailed(commandLine: String, output: String)
}

extension QMPError: CustomStringConvertible {
    /// A one-line description for logs (not meant for API users).
    public var description: String {
        switch self {
        case .connectionFailed(let path, let errno, let description):
            let code = errno.map { " (errno \($0))" } ?? ""
            return "QMP connection to \(path) failed\(code): \(description)"
        case .timeout(let command):
            return "QMP \(command) timed out"
        case .disconnected:
            return "QMP connection closed"
        case .commandFailed(let errorClass, let description):
            return "QMP command failed: \(errorClass): \(description)"
        case .protocolViolation(let detail):
            return "QMP protocol violation: \(detail)"
        case .humanMonitorFailed(let commandLine, let output):
            return "HMP command '\(commandLine)' failed: \(output)"
        }
    }
}
