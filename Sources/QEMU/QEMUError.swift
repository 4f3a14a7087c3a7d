/// What can go wrong when launching QEMU or running qemu-img.
public enum QEMUError: Error, Sendable, Equatable {
    case launchFailed(executable: String, reason: String)
    case commandFailed(command: String, status: Int32, stderr: String)
    case unexpectedOutput(command: String, output: String)
}
