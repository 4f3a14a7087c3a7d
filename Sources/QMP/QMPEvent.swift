import Foundation

/// An asynchronous event from QEMU (`{"event": "STOP", "timestamp": ..., "data": ...}`).
///
/// `data` keeps the payload as QEMU sent it; `kind` decodes the events the
/// compute service reacts to.
public struct QMPEvent: Sendable, Equatable {
    /// When QEMU emitted the event, as QEMU's wall clock saw it.
    public struct Timestamp: Sendable, Equatable {
        /// Seconds since 1970 (QEMU sends -1 when its clock failed).
        public var seconds: Int64
        /// Microseconds within the second.
        public var microseconds: Int64

        /// Creates a timestamp.
        public init(seconds: Int64, microseconds: Int64) {
            self.seconds = seconds
            self.microseconds = microseconds
        }

        /// The instant as a `Date`, or `nil` when QEMU had no clock.
        public var date: Date? {
            guard seconds >= 0, microseconds >= 0 else { return nil }
            return Date(timeIntervalSince1970: Double(seconds) + Double(microseconds) / 1_000_000)
        }
    }

    /// The event name, e.g. `"SHUTDOWN"` or `"DEVICE_TRAY_MOVED"`.
    public var name: String
    /// When it happened.
    public var timestamp: Timestamp
    /// The event's `data` object (an empty object when QEMU sent none).
    public var data: QMPJSON

    /// Creates an event (mainly for tests and fakes).
    public init(name: String, timestamp: Timestamp = .init(seconds: 0, microseconds: 0), data: QMPJSON = [:]) {
        self.name = name
        self.timestamp = timestamp
        self.data = data
    }
}
