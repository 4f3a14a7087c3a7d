import Foundation
import QMP

/// A real `qemu-system-x86_64` for tests: TCG only (never /dev/kvm), paused
/// (`-S`), no display, no default devices, QMP on a socket in its own
/// temporary directory. `stop()` kills it and removes the directory; call it
/// in a `defer`.
final class QEMUProcess {
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/qemu-system-x86_64" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isAvailable: Bool { binary != nil }

    /// True when xorriso (to make ISO images) is installed too.
    static var canMakeISO: Bool {
        isAvailable
            && (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
                .contains { FileManager.default.isExecutableFile(atPath: "\($0)/xorriso") }
    }

    let directory: String
    let socketPath: String
    /// A second monitor, for lending files (`QMPFileHandoff`), when asked for.
    let handoffSocketPath: String
    private let process = Process()

    /// `runAs`: a `uid:gid` QEMU becomes once started (`-runas`; root only).
    init(extraArguments: [String] = [], handoff: Bool = false, runAs: String? = nil) throws {
        guard let binary = Self.binary else { throw POSIXError(.ENOENT) }
        directory = try TemporaryDirectory.make()
        socketPath = directory + "/qmp.sock"
        handoffSocketPath = directory + "/handoff.sock"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "-accel", "tcg", "-machine", "q35", "-m", "64", "-S", "-display", "none", "-nodefaults",
            "-qmp", "unix:\(socketPath),server=on,wait=off",
        ] + (handoff ? ["-qmp", "unix:\(handoffSocketPath),server=on,wait=off"] : [])
            + (runAs.map { ["-runas", $0] } ?? []) + extraArguments
        let output = FileHandle(forWritingAtPath: "/dev/null")
        process.standardInput = nil
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Waits until QEMU's QMP socket accepts a client. The socket file appears
    /// at bind(), before QEMU listens, so a connect can still be refused then.
    func waitForSocket(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                try await QMPClient.withConnection(socketPath: socketPath) { _ in }
                return
            } catch QMPError.connectionFailed {
                guard process.isRunning, ContinuousClock.now < deadline else { throw TimedOut() }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Waits for QEMU to exit by itself; true if it did within `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    /// Kills QEMU if it still runs and removes its directory.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Makes a small ISO 9660 image with xorriso in QEMU's directory.
    func makeISO(named name: String = "small.iso") throws -> String {
        let content = directory + "/iso-content"
        try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
        try Data("hello from nimbus\n".utf8).write(to: URL(fileURLWithPath: content + "/HELLO.TXT"))
        let path = directory + "/" + name
        let xorriso = Process()
        xorriso.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        xorriso.arguments = ["xorriso", "-as", "mkisofs", "-quiet", "-V", "NIMBUSTEST", "-o", path, content]
        xorriso.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        xorriso.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try xorriso.run()
        xorriso.waitUntilExit()
        guard xorriso.terminationStatus == 0 else { throw POSIXError(.EIO) }
        return path
    }
}
