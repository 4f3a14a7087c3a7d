import Foundation
import Testing
@testable import QEMU

@Suite("Spawning QEMU", .serialized)
struct ProcessRunnerTests {
    @Test("a spawned process does not inherit ignored SIGTERM, so QEMU can be stopped cleanly")
    func signalsAreReset() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        // What the server's signal handling does to the process.
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let status = try await ProcessRunner.runLogging("/bin/sh", ["-c", "grep SigIgn /proc/self/status"], logPath: log)
        #expect(status == 0)
        let line = try String(contentsOfFile: log, encoding: .utf8)
        let mask = try #require(UInt64(line.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16), "\(line)")
        #expect(mask & (1 << (UInt64(SIGTERM) - 1)) == 0, "SIGTERM is ignored in the child: \(line)")
    }
}
