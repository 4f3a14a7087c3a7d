import Foundation
import Testing

/// The dashboard in a real Chromium, over a real `nimbus serve` and QEMU:
/// the whole install workflow as a new user clicks through it.
@Suite("The dashboard in Chromium", .serialized)
struct DashboardWorkflowTests {
    /// Where the browser test leaves a screenshot of every page it visits.
    static let screenshots = Repository.root.appendingPathComponent("screenshots/dashboard")

    @Test("""
        log in, upload the demo ISO (the bar reaches 100 %), launch, answer the installer in the page's serial console, \
        eject in the media panel, reboot, floating IP and SSH in one click each, "ready" shows the ssh command, which \
        prints the hostname typed at install; the disk becomes an image
        """)
    func installInTheBrowser() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        let key = try KeypairAccess(openstack, in: work)
        try? FileManager.default.removeItem(at: Self.screenshots)

        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let script = Repository.root.appendingPathComponent("Tests/EndToEndTests/Browser/dashboard_install.py").path
        let browser = try run(python, [script, nimbus.baseURL, "admin", NimbusProcess.adminPassword, iso, key.publicKey, Self.screenshots.path])
        #expect(browser.succeeded, "\(browser.stdout)\n\(browser.stderr.suffix(3000))\n\(nimbus.log().suffix(2000))")
        #expect(browser.stdout.contains("progress: 100%"), "\(browser.stdout)")
        #expect(browser.stdout.contains("accessibility: 0 serious or critical"), "axe-core on every page: \(browser.stdout)")

        // The exact command the page shows, as a user pastes it. What a
        // user's ~/.ssh/config would say about a new host key comes from a
        // config file an `ssh` earlier on the PATH hands to the real one
        // (ssh reads the passwd home, not $HOME).
        let line = try #require(browser.stdout.split(separator: "\n").first { $0.hasPrefix("ready: ") }, "\(browser.stdout)")
        let command = String(line.dropFirst("ready: ".count))
        #expect(command.hasPrefix("ssh -i mykey.pem root@127."), "\(command)")
        let bin = work.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let config = work.appendingPathComponent("ssh_config")
        try "StrictHostKeyChecking no\nUserKnownHostsFile /dev/null\nBatchMode yes\nLogLevel ERROR\nConnectTimeout 10\n"
            .write(to: config, atomically: true, encoding: .utf8)
        try "#!/bin/sh\nexec /usr/bin/ssh -F '\(config.path)' \"$@\"\n".write(to: bin.appendingPathComponent("ssh"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("ssh").path)
        let shell = URL(fileURLWithPath: "/bin/sh")
        let hostname = try run(shell, ["-c", "cd '\(work.path)' && \(command) hostname"], environment: ["PATH": "\(bin.path):/usr/bin:/bin"])
        #expect(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "browser-install", "\(hostname.stdout)\(hostname.stderr)")

        let shots = (try? FileManager.default.contentsOfDirectory(atPath: Self.screenshots.path)) ?? []
        #expect(shots.count >= 10, "a screenshot of every page: \(shots.sorted())")
        let image = try openstack.succeed("image", "show", "browser-golden", "-f", "value", "-c", "disk_format")
        #expect(image.contains("qcow2"), "\(image)")
        _ = try openstack.succeed("server", "delete", "--wait", "browser-vm")
    }

    @Test("an upload cancelled halfway leaves the image queued, no blob and no temporary file, and Nimbus's memory did not take the file in")
    func cancelledUpload() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // 2 GiB, sparse: the browser reads zeros as fast as it can send them.
        let file = work.appendingPathComponent("wrong-file.raw")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let blobs = nimbus.dataDirectory.appendingPathComponent("blobs")
        let blobsBefore = try FileManager.default.contentsOfDirectory(atPath: blobs.path).sorted()
        let peakBefore = try Self.peakMemoryKiB(of: nimbus.process.processIdentifier)

        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let script = Repository.root.appendingPathComponent("Tests/EndToEndTests/Browser/dashboard_cancel.py").path
        let browser = try run(python, [script, nimbus.baseURL, "admin", NimbusProcess.adminPassword, file.path, Self.screenshots.path])
        #expect(browser.succeeded, "\(browser.stdout)\n\(browser.stderr.suffix(3000))\n\(nimbus.log().suffix(2000))")

        // The server notices the cut stream a moment after the browser does.
        var status = ""
        for _ in 0..<30 {
            status = try openstack.succeed("image", "show", "wrong-file", "-f", "value", "-c", "status").trimmingCharacters(in: .whitespacesAndNewlines)
            if status == "queued" { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(status == "queued", "the cancelled image stays queued")
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs.path).sorted() == blobsBefore, "no blob is kept")
        let incoming = try FileManager.default.contentsOfDirectory(atPath: blobs.appendingPathComponent(".incoming").path)
        #expect(incoming.isEmpty, "no temporary file is left: \(incoming)")
        let grown = try Self.peakMemoryKiB(of: nimbus.process.processIdentifier) - peakBefore
        #expect(grown < 256 * 1024, "the server's peak memory grew by \(grown) KiB during a 2 GiB upload")
    }

    /// The peak resident memory of a process (VmHWM), in KiB.
    static func peakMemoryKiB(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? ""))
    }
}
