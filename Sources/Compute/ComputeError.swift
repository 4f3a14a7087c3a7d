/// Failures of the VM runtime, translated into `NimbusError` (and a server
/// fault) at the service boundary.
enum ComputeError: Error, Sendable {
    case consoleUnavailable(String)
    case notRunning
    case snapshotFailed(String)
}
