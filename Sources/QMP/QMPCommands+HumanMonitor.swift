import Foundation

extension QMPCommands {
    /// `human-monitor-command`: runs a human monitor (HMP) command line, for
    /// the few operations QMP lacks, such as `hostfwd_add` and `hostfwd_remove`
    /// on a user-mode NIC. The response is HMP's printed output.
    ///
    /// HMP reports most failures as printed text, not as QMP errors, so a
    /// successful reply does not mean the command worked. Use
    /// `QMPClient.humanMonitor(_:timeout:failureMarkers:)`, which checks the
    /// output against `knownFailureMarkers`, unless you inspect it yourself.
    public struct HumanMonitorCommand: QMPCommand {
        /// The reply type: HMP's output (empty when the command printed nothing).
        public typealias Response = String

        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The HMP command line, e.g. `"hostfwd_add net0 tcp:127.0.0.1:2222-:22"`.
            public var commandLine: String

            enum CodingKeys: String, CodingKey { case commandLine = "command-line" }
        }

        /// Wire name.
        public static let name = "human-monitor-command"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Runs `commandLine` in the human monitor.
        public init(commandLine: String) {
            self.arguments = Arguments(commandLine: commandLine)
        }

        /// Output fragments (compared case-insensitively) by which HMP reports
        /// failure of the commands Nimbus uses: QEMU's texts for `hostfwd_add`,
        /// `hostfwd_remove`, netdev lookup, and unknown or malformed commands.
        /// `hostfwd_remove` of a rule that does not exist prints "not found";
        /// drop that marker where removal should be idempotent.
        public static let knownFailureMarkers: [String] = [
            "could not set up host forwarding rule",
            "invalid host forwarding rule",
            "invalid format",
            "not found",
            "unrecognized netdev id",
            "invalid device specified",
            "user mode network stack not in use",
            "unknown command",
            "error:",
        ]

        /// True when `output` contains one of `markers` (case-insensitively).
        public static func reportsFailure(_ output: String, markers: [String] = knownFailureMarkers) -> Bool {
            let lowered = output.lowercased()
            return markers.contains { lowered.contains($0.lowercased()) }
        }
    }
}

extension QMPCommand where Self == QMPCommands.HumanMonitorCommand {
    /// `human-monitor-command`: run an HMP command line; returns its raw output.
    public static func humanMonitorCommand(_ commandLine: String) -> Self { .init(commandLine: commandLine) }
}

extension QMPClient {
    /// Runs an HMP command line and fails when its output reports a failure.
    ///
    /// - Returns: HMP's output (usually empty for commands that succeeded).
    /// - Throws: `QMPError.humanMonitorFailed` when the output contains one of
    ///   `failureMarkers`, and any error `execute(_:timeout:)` throws.
    @discardableResult
    public func humanMonitor(
        _ commandLine: String,
        timeout: Duration? = nil,
        failureMarkers: [String] = QMPCommands.HumanMonitorCommand.knownFailureMarkers
    ) async throws -> String {
        let output = try await execute(QMPCommands.HumanMonitorCommand(commandLine: commandLine), timeout: timeout)
        if QMPCommands.HumanMonitorCommand.reportsFailure(output, markers: failureMarkers) {
            throw QMPError.humanMonitorFailed(
                commandLine: commandLine,
                output: output.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return output
    }
}
