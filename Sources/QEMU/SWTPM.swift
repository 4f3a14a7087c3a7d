import Foundation

/// A VM's software TPM: Debian's `swtpm`, one daemon per VM, started before
/// QEMU and ending with it (`--terminate`: when QEMU's control connection
/// closes). Its state is a directory of the VM's own, so what the guest
/// keeps in the TPM survives reboots, stops and restarts of Nimbus.
public enum SWTPM {
    public static let executable = "/usr/bin/swtpm"

    /// swtpm's arguments: a pure function, checked against golden files.
    public static func arguments(for tpm: VMSpec.TPM) -> [String] {
        var arguments = [
            "socket",
            "--tpmstate", "dir=\(tpm.stateDirectory),mode=0600",
            "--ctrl", "type=unixio,path=\(tpm.socket),mode=0600",
            "--log", "file=\(tpm.logFile),level=1",
            "--pid", "file=\(tpm.pidFile)",
            "--terminate",
            "--daemon",
        ]
        if tpm.version == .v2_0 { arguments.append("--tpm2") }
        return arguments
    }

    /// Starts the TPM for a VM about to launch: a swtpm left from an earlier
    /// launch is ended first (it serves one QEMU), the state directory is
    /// made owner-only, and the call returns once the socket exists.
    public static func start(_ tpm: VMSpec.TPM) async throws {
        // swtpm's options take no escapes: a comma would start another option.
        for path in [tpm.stateDirectory, tpm.socket, tpm.pidFile, tpm.logFile] where path.contains(",") {
            throw QEMUError.launchFailed(executable: executable, reason: "the path \(path) has a comma, which swtpm cannot take")
        }
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw QEMUError.launchFailed(
                executable: executable, reason: "swtpm is not installed; a virtual TPM needs Debian's swtpm package (apt-get install swtpm)")
        }
        await stop(pidFile: tpm.pidFile, socket: tpm.socket)
        try FileManager.default.createDirectory(atPath: tpm.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: tpm.stateDirectory)
        try? FileManager.default.removeItem(atPath: tpm.socket)
        // Not through pipes: the daemon would hold them open for as long as it runs.
        let status = try await ProcessRunner.runLogging(executable, arguments(for: tpm), logPath: tpm.logFile)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: tpm.logFile, encoding: .utf8)) ?? ""
            throw QEMUError.commandFailed(command: "swtpm", status: status, stderr: QEMULauncher.lastLines(log))
        }
        // With --daemon the parent exits once the child runs; the socket follows.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: tpm.socket) {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard FileManager.default.fileExists(atPath: tpm.socket) else {
            throw QEMUError.launchFailed(executable: executable, reason: "swtpm did not open \(tpm.socket); see \(tpm.logFile)")
        }
    }

    /// Ends the swtpm whose pid file and socket these are, if one runs.
    public static func stop(pidFile: String, socket: String) async {
        if let pid = QEMULauncher.livePid(pidFile: pidFile, marker: socket) {
            await QEMULauncher.terminate(pid, grace: .seconds(2))
        }
        try? FileManager.default.removeItem(atPath: pidFile)
    }
}
