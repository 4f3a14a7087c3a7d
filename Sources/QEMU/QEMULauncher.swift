import Foundation

/// Starts QEMU daemonized with a pid file, so a VM outlives the process that
/// launched it, and stops it: SIGTERM, then SIGKILL after a grace period.
public struct QEMULauncher: Sendable {
    public var executable: String

    public init(executable: String = "/usr/bin/qemu-system-x86_64") {
        self.executable = executable
    }

    /// Launches the VM (its TPM first, when it has one) and returns QEMU's
    /// pid once it has daemonized.
    ///
    /// With `-daemonize`, QEMU exits its first process only after the devices
    /// and sockets are set up, so a zero exit status means the VM exists.
    public func launch(_ spec: VMSpec) async throws -> Int32 {
        guard let pidFile = spec.pidFile else {
            throw QEMUError.launchFailed(executable: executable, reason: "a launched VM needs a pid file")
        }
        try? FileManager.default.removeItem(atPath: pidFile)
        // The daemon keeps the first process's stdout and stderr: they go to a
        // file beside the pid file, never to a pipe nobody would close.
        let logPath = URL(fileURLWithPath: pidFile).deletingLastPathComponent().appendingPathComponent("qemu.log").path
        if let tpm = spec.tpm { try await SWTPM.start(tpm) }
        do {
            let status = try await ProcessRunner.runLogging(executable, QEMUCommandLine.arguments(for: spec), logPath: logPath)
            guard status == 0 else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw QEMUError.commandFailed(command: "qemu-system-x86_64", status: status, stderr: Self.lastLines(log))
            }
        } catch {
            // No QEMU, so nobody for the TPM to serve.
            if let tpm = spec.tpm { await SWTPM.stop(pidFile: tpm.pidFile, socket: tpm.socket) }
            throw error
        }
        guard let pid = Self.readPid(pidFile) else {
            throw QEMUError.unexpectedOutput(command: "qemu-system-x86_64", output: "no pid in \(pidFile)")
        }
        return pid
    }

    /// The pid in a pid file, when that process is alive and its command
    /// line mentions `marker` (say, the VM's QMP socket), so a reused pid
    /// of an unrelated process is never taken for the VM.
    public static func livePid(pidFile: String, marker: String) -> Int32? {
        guard let pid = readPid(pidFile), isAlive(pid),
              let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
              String(decoding: commandLine, as: UTF8.self).contains(marker)
        else { return nil }
        return pid
    }

    /// Whether a process runs; a zombie does not count (a daemonized QEMU is
    /// reparented, and not every init reaps promptly).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the parenthesised command name, which may itself contain spaces.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// SIGTERM, then SIGKILL when the process is still there after `grace`.
    public static func terminate(_ pid: Int32, grace: Duration = .seconds(5)) async {
        guard isAlive(pid) else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isAlive(pid), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isAlive(pid) { kill(pid, SIGKILL) }
        // A daemonized QEMU is not our child; wait until the kernel has reaped it.
        for _ in 0..<100 where isAlive(pid) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func readPid(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func lastLines(_ text: String) -> String {
        text.split(separator: "\n").suffix(5).joined(separator: "\n")
    }
}
