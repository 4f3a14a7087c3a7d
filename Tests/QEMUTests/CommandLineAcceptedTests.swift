import Foundation
import QEMU
import Testing

/// The golden command lines are also accepted by the real QEMU: each starts
/// paused (under TCG) with real files in place, and is then stopped.
@Suite("QEMU accepts the command lines", .serialized)
struct CommandLineAcceptedTests {
    @Test("QEMU starts with each spec's arguments", arguments: CommandLineGoldenTests.cases.map(\.0))
    func starts(name: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qemu-args-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var spec = try #require(CommandLineGoldenTests.cases.first { $0.0 == name }?.1)
        spec.accelerator = .tcg
        spec.pidFile = nil
        spec.startPaused = true
        spec.sockets = VMSpec.Sockets(
            qmp: directory.appendingPathComponent("qmp.sock").path, serial: directory.appendingPathComponent("serial.sock").path,
            vnc: directory.appendingPathComponent("vnc.sock").path,
            fileHandoff: spec.sockets.fileHandoff.map { _ in directory.appendingPathComponent("handoff.sock").path })
        // Only root may hand QEMU another user.
        if getuid() != 0 { spec.user = nil }
        for index in spec.drives.indices {
            let file = directory.appendingPathComponent("\(spec.drives[index].id).img").path
            if spec.drives[index].format == "qcow2" {
                try await QEMUImageTool().createBlank(at: file, sizeBytes: 1 << 30)
            } else {
                _ = FileManager.default.createFile(atPath: file, contents: Data(count: 1 << 20))
            }
            spec.drives[index].file = file
        }
        if case .uefi(let code, _, let secureBoot) = spec.firmware {
            let variables = directory.appendingPathComponent("vars.fd").path
            try FileManager.default.copyItem(atPath: secureBoot ? "/usr/share/OVMF/OVMF_VARS_4M.ms.fd" : "/usr/share/OVMF/OVMF_VARS_4M.fd", toPath: variables)
            spec.firmware = .uefi(code: code, variables: variables, secureBoot: secureBoot)
        }
        if var tpm = spec.tpm {
            // A real swtpm for QEMU to connect to; it ends when QEMU does.
            tpm.stateDirectory = directory.appendingPathComponent("tpm").path
            tpm.socket = directory.appendingPathComponent("swtpm.sock").path
            tpm.pidFile = directory.appendingPathComponent("swtpm.pid").path
            tpm.logFile = directory.appendingPathComponent("swtpm.log").path
            try await SWTPM.start(tpm)
            spec.tpm = tpm
        }

        for index in spec.nics.indices { spec.nics[index].forwards = [] }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
        process.arguments = QEMUCommandLine.arguments(for: spec)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // SIGKILL and no waitUntilExit: the test only needs QEMU gone, not its exit status.
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // QEMU refuses bad arguments at once; one that is still up once its QMP socket exists accepted them.
        for _ in 0..<100 where process.isRunning && !FileManager.default.fileExists(atPath: spec.sockets.qmp) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(200))
        let running = process.isRunning
        if !running {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("QEMU refused the arguments for \(name): \(message)")
        }
        #expect(running)
        if let tpm = spec.tpm {
            kill(process.processIdentifier, SIGKILL)
            await SWTPM.stop(pidFile: tpm.pidFile, socket: tpm.socket)
        }
    }
}
