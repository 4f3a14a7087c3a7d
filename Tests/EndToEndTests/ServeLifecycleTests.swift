import Foundation
import Testing

/// `nimbus serve` itself: first start, restart on the same data, clean shutdown.
@Suite("nimbus serve lifecycle")
struct ServeLifecycleTests {
    @Test("on its defaults, serve answers at once and settles KVM or TCG by its probe guest in the background, saying why")
    func acceleratorProbe() async throws {
        // The init returns once the API answers: the probe does not hold start-up.
        let nimbus = try await NimbusProcess(accelerator: "auto")
        var decision: Substring?
        for _ in 0..<300 where decision == nil {
            decision = nimbus.log().split(separator: "\n").first { $0.contains("virtual machines use") }
            if decision == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let line = try #require(decision, "no accelerator decision within 30 s:\n\(nimbus.log())")
        #expect(line.contains("virtual machines use KVM") || line.contains("virtual machines use TCG"))
        #expect(line.contains("probe guest") || line.contains("/dev/kvm"), "the log says why: \(line)")
        // Signalled as the probe ends; give it a moment to go.
        var leftover = "?"
        for _ in 0..<50 where !leftover.isEmpty {
            leftover = try shell("pgrep -f '[n]imbus-acceleration-probe'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !leftover.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(leftover.isEmpty, "no probe QEMU is left running")
    }

    @Test("first start writes clouds.yaml; a restart keeps users, images and the admin password; SIGTERM exits cleanly")
    func restartKeepsState() async throws {
        let first = try await NimbusProcess()
        let admin = OpenStackClient(admin: first)
        let clouds = try String(contentsOf: first.cloudsYAML, encoding: .utf8)
        #expect(clouds.contains("auth_url: \(first.baseURL)/identity"))
        let mode = try FileManager.default.attributesOfItem(atPath: first.cloudsYAML.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "clouds.yaml holds a password and must be private")

        let work = first.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 1024).write(to: work.appendingPathComponent("disk.raw"))
        _ = try admin.succeed("image", "create", "--disk-format", "raw", "--container-format", "bare", "--file", "\(work.path)/disk.raw", "survivor")
        _ = try admin.succeed("project", "create", "--domain", "default", "kept")

        first.stop()
        #expect(first.process.terminationReason == .exit && first.process.terminationStatus == 0,
                "SIGTERM should shut down cleanly, got \(first.process.terminationReason.rawValue)/\(first.process.terminationStatus)\n\(first.log())")

        let second = try await NimbusProcess(reusing: first.dataDirectory)
        let again = OpenStackClient(admin: second)
        let images = try #require(try again.json("image", "list") as? [[String: Any]])
        #expect(images.contains { $0["Name"] as? String == "survivor" && $0["Status"] as? String == "active" })
        let projects = try #require(try again.json("project", "list") as? [[String: Any]])
        #expect(projects.contains { $0["Name"] as? String == "kept" })
        #expect(projects.filter { $0["Name"] as? String == "admin" }.count == 1, "bootstrap must not duplicate the admin project")
        second.stop()
        withExtendedLifetime(first) {}  // first owns the data directory; keep it until here
    }
}
