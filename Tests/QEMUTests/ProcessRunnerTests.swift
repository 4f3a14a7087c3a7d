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

    @Test("run captures both outputs whole, past a pipe's 64 KiB, and the exit status")
    func runCaptures() async throws {
        let output = try await ProcessRunner.run("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' a; echo oops >&2; exit 3"])
        #expect(output.status == 3)
        #expect(output.stdout.count == 300_000 && output.stdout.allSatisfy { $0 == "a" })
        #expect(output.stderr == "oops\n")
    }

    @Test("a child started by run holds none of the server's descriptors, and a missing program is an error")
    func runLeaksNothing() async throws {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/etc/hostname"))
        defer { try? file.close() }
        let output = try await ProcessRunner.run("/bin/sh", ["-c", "ls /proc/self/fd"])
        let descriptors = output.stdout.split(separator: "\n").compactMap { Int($0) }
        // 0, 1, 2, and the one ls opens to list the directory.
        #expect(descriptors.filter { $0 > 2 }.count <= 1, "\(descriptors)")
        await #expect(throws: QEMUError.self) { try await ProcessRunner.run("/nonexistent/program", []) }
    }

    @Test("many runs at once all complete")
    func concurrentRuns() async throws {
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0 ..< 32 { group.addTask { try await ProcessRunner.run("/bin/echo", ["run \(index)"]).stdout } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(outputs.count == 32)
    }
}
