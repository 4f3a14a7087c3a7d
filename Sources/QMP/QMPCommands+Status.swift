/// A VM run state as `query-status` reports it (`"running"`, `"paused"`, ...).
///
/// Open on purpose: QEMU adds states, and an unknown one must not make the
/// reply undecodable.
public struct QMPRunState: RawRepresentable, Hashable, Sendable, Decodable, CustomStringConvertible {
    /// QEMU's spelling.
    public var rawValue: String
    /// Wraps QEMU's spelling.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Decodes from a JSON string.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    /// QEMU's spelling.
    public var description: String { rawValue }

    /// Started with `-S` and never continued.
    public static let prelaunch = Self(rawValue: "prelaunch")
    /// Executing guest code.
    public static let running = Self(rawValue: "running")
    /// Paused by `stop`.
    public static let paused = Self(rawValue: "paused")
    /// The guest shut down and QEMU was told not to exit (`-no-shutdown`).
    public static let shutdown = Self(rawValue: "shutdown")
    /// Paused by an I/O error policy.
    public static let ioError = Self(rawValue: "io-error")
    /// The guest panicked.
    public static let guestPanicked = Self(rawValue: "guest-panicked")
    /// Suspended (ACPI S3).
    public static let suspended = Self(rawValue: "suspended")
    /// Paused by an internal error.
    public static let internalError = Self(rawValue: "internal-error")
    /// Waiting for an incoming migration.
    public static let inmigrate = Self(rawValue: "inmigrate")
    /// Finished migrating away.
    public static let postmigrate = Self(rawValue: "postmigrate")
}

/// The reply of `query-status`.
public struct QMPStatusInfo: Sendable, Equatable, Decodable {
    /// The run state.
    public var status: QMPRunState
    /// True when guest code executes (state `running`, and a few transient ones).
    public var running: Bool

    /// Creates a status (mainly for tests).
    public init(status: QMPRunState, running: Bool) {
        self.status = status
        self.running = running
    }
}

extension QMPCommands {
    /// `query-status`: the VM's run state.
    public struct QueryStatus: QMPCommand {
        /// The reply type.
        public typealias Response = QMPStatusInfo
        /// Wire name.
        public static let name = "query-status"
        /// Creates the command.
        public init() {}
    }
}

extension QMPCommand where Self == QMPCommands.QueryStatus {
    /// `query-status`: the VM's run state.
    public static var queryStatus: Self { .init() }
}
