/// Failures of the VM runtime, translated into `NimbusError` (and a server
/// fault) at the service boundary.
enum ComputeError: Error, Sendable {
    case consoleUnavailable(String)
    case notRunning
    /// The guest is not reading its serial port, and its input queue is full.
    case consoleInputFull
    case snapshotFailed(String)
    /// A monitor command the VM refused.
    case monitorRefused(String)
}
