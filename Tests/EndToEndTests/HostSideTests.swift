import Foundation
import NimbusCore
import Testing

/// What a QEMU started by Nimbus can reach of Nimbus, and where their
/// control sockets live.
@Suite("The host side: QEMU's descriptors and the runtime directory")
struct HostSideTests {
    @Test("a QEMU started by nimbus holds none of nimbus's descriptors, only its disks, logs, devices and sockets; it runs under a seccomp filter and, when nimbus is root and asked to, as a uid of its own that is lent the screenshot, an inserted ISO and a snapshot's target; the runtime directory is owner-only")
    func qemuHoldsNothingOfOurs() async throws {
        // As root, QEMU is given a uid of its own (off by default: see the README's Security section).
        let firstUID = NimbusConfiguration.suggestedQEMUFirstUID
        let nimbus = try await NimbusProcess(environment: getuid() == 0 ? ["NIMBUS_QEMU_FIRST_UID": "\(firstUID)"] : [:])
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()
        let id = try openstack.succeed("server", "show", "vm", "-f", "value", "-c", "id").trimmingCharacters(in: .whitespacesAndNewlines)
        let instance = nimbus.dataDirectory.appendingPathComponent("instances/\(id)").path
        let pid = try String(contentsOfFile: instance + "/qemu.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let qemu = try #require(Int32(pid))

        let ours = Set(descriptors(of: nimbus.process.processIdentifier).values)
        #expect(ours.contains { $0.hasSuffix("nimbus.sqlite") }, "nimbus's own descriptors are read: \(ours)")
        let its = descriptors(of: qemu)
        #expect(its.count >= 3, "QEMU's descriptors are read: \(its)")
        for (fd, target) in its.sorted(by: { $0.key < $1.key }) {
            if target.hasPrefix("socket:") || target.hasPrefix("pipe:") {
                #expect(!ours.contains(target), "QEMU's fd \(fd) is nimbus's own \(target)")
            } else if !target.hasPrefix("anon_inode:") {
                let allowed = [instance + "/", nimbus.blobsDirectory.path + "/", "/usr/share/", "/dev/"].contains { target.hasPrefix($0) }
                #expect(allowed, "QEMU's fd \(fd) is \(target): not a disk, log, firmware or device of its own")
            }
        }

        let status = try String(contentsOfFile: "/proc/\(qemu)/status", encoding: .utf8)
        #expect(status.contains("Seccomp:\t2"), "QEMU runs under its seccomp filter (-sandbox)")
        if getuid() == 0 {
            // Nimbus runs as root: QEMU became a uid of its own, with no capabilities left, so it
            // cannot open the data directory (mode 700) or signal another VM's QEMU.
            let ids = { (key: String) in
                status.split(separator: "\n").first { $0.hasPrefix(key) }?.split(whereSeparator: \.isWhitespace).dropFirst().compactMap { UInt32($0) } ?? []
            }
            #expect(ids("Uid:").count == 4 && ids("Uid:").allSatisfy { $0 >= firstUID }, "\(ids("Uid:"))")
            #expect(ids("Gid:").count == 4 && ids("Gid:").allSatisfy { $0 >= firstUID }, "\(ids("Gid:"))")
            #expect(status.contains("CapEff:\t0000000000000000"), "QEMU keeps no capability")
            var data = stat()
            #expect(stat(nimbus.dataDirectory.path, &data) == 0 && data.st_mode & 0o077 == 0, "the data directory is owner-only")
            // Such a QEMU cannot listen on a floating IP's port 22: the log says so and how to do without.
            let address = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try openstack.succeed("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "default")
            _ = try openstack.succeed("server", "add", "floating", "ip", "vm", address)
            var warned = false
            for _ in 0..<100 where !warned {
                try await Task.sleep(for: .milliseconds(200))
                warned = nimbus.log().contains("may not listen below port 1024")
            }
            #expect(warned && nimbus.log().contains("port forwarding create"), "\(nimbus.log().suffix(1500))")
            #expect(!nimbus.log().contains("forward refused by QEMU"), "a port QEMU may not bind is no refusal to retry")
        }

        // What QEMU opens once it runs is lent to it, as it cannot open it by name:
        // a screenshot's file, an ISO inserted live, a snapshot's target.
        func nimbusCLI(_ arguments: String...) throws -> CommandResult {
            try run(Repository.nimbusBinary, arguments, environment: openstack.credentials)
        }
        let png = nimbus.dataDirectory.appendingPathComponent("shot.png")
        let shot = try nimbusCLI("server", "screenshot", "vm", png.path)
        #expect(shot.succeeded && (try? Data(contentsOf: png))?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true, "\(shot.stderr)")
        // The installer holds its disc, so the tray is locked.
        let ejected = try nimbusCLI("server", "eject", "--force", "vm")
        #expect(ejected.succeeded, "\(ejected.stdout)\(ejected.stderr)")
        let inserted = try nimbusCLI("server", "insert", "vm", "fedora-iso")
        #expect(inserted.succeeded && inserted.stdout.contains("fedora-iso"), "\(inserted.stdout)\(inserted.stderr)\n\(nimbus.log().suffix(1500))")
        _ = try openstack.succeed("server", "image", "create", "--wait", "--name", "vm-disk", "vm")
        let snapshot = try openstack.succeed("image", "show", "vm-disk", "-f", "value", "-c", "status")
        #expect(snapshot.trimmingCharacters(in: .whitespacesAndNewlines) == "active", "\(snapshot)\n\(nimbus.log().suffix(1500))")

        let runtime = Self.runtimeDirectory(for: nimbus.dataDirectory)
        var info = stat()
        #expect(lstat(runtime, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == getuid(), "\(runtime)")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    @Test("a runtime directory another user could write to is refused at start, with the reason")
    func openRuntimeDirectoryIsRefused() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let runtime = Self.runtimeDirectory(for: data)
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(atPath: runtime)
        }
        #expect(mkdir(runtime, 0o777) == 0 && chmod(runtime, 0o777) == 0)
        do {
            let started = try await NimbusProcess(reusing: data)
            Issue.record("nimbus started on a runtime directory open to everyone:\n\(started.log().suffix(1000))")
        } catch {
            #expect("\(error)".contains("open to other users"), "\("\(error)".suffix(1500))")
        }
    }

    @Test("a first request trickled or longer than 96 KiB is cut off, a kept-alive connection closes when idle; whole requests and a console left idle beyond both limits are served")
    func slowAndOversizedRequests() async throws {
        let nimbus = try await NimbusProcess(environment: ["NIMBUS_REQUEST_HEAD_TIMEOUT": "2", "NIMBUS_IDLE_TIMEOUT": "3"])
        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let probe = try run(python, ["-c", Self.connectionProbe, "\(nimbus.port)"])
        let lines = probe.stdout.split(separator: "\n").map(String.init)
        #expect(probe.succeeded && lines.count == 4, "\(probe.stdout)\(probe.stderr)")
        #expect(lines.first { $0.hasPrefix("whole:") }?.contains("HTTP/1.1 300") == true, "\(lines)")
        #expect(lines.contains("big: closed"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("slow: closed after") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("idle: closed after") }, "\(lines)")

        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()
        let console = try #require(try openstack.json("console", "url", "show", "--serial", "vm") as? [String: Any])
        let client = SerialWebSocketClient(url: try #require(console["url"] as? String))
        defer { client.close() }
        guard case .connected? = try await client.settled() else { Issue.record("the console did not connect"); return }
        try await Task.sleep(for: .seconds(6))
        client.type("no\r")
        #expect(try await client.waitFor("No disk chosen"), "a console is not an idle HTTP connection: \(client.text.suffix(300))")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    /// Four connections, one line each: a whole request, a 200 KB header, a
    /// header never finished, and a kept-alive connection left idle.
    static let connectionProbe = """
        import socket, sys, time
        port = int(sys.argv[1])
        def connect():
            s = socket.create_connection(("127.0.0.1", port)); s.settimeout(15); return s
        def outcome(s):
            start = time.time()
            try:
                data = s.recv(200)
            except ConnectionResetError:
                data = b""
            return "closed after %.1f s" % (time.time() - start) if not data else data.decode(errors="replace").splitlines()[0]
        s = connect(); s.sendall(b"GET /identity HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); print("whole:", outcome(s))
        s = connect()
        try:
            s.sendall(b"GET /identity HTTP/1.1\\r\\nHost: x\\r\\nX-Big: " + b"a" * 200000 + b"\\r\\n\\r\\n")
            print("big:", "closed" if outcome(s).startswith("closed") else "answered")
        except (BrokenPipeError, ConnectionResetError):
            print("big: closed")
        s = connect(); s.sendall(b"GET /identity HTTP/1.1\\r\\nHost: x\\r\\n"); print("slow:", outcome(s))
        s = connect(); s.sendall(b"GET /identity HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); s.recv(4096); print("idle:", outcome(s))
        """

    /// The runtime directory of a data directory, as Compute's InstancePaths names it.
    static func runtimeDirectory(for dataDirectory: URL) -> String {
        "/tmp/nimbus-\(getuid())-\(String(StableHash.fnv1a(dataDirectory.standardizedFileURL.path), radix: 16))"
    }

    /// Descriptor number → what it points at, from /proc.
    func descriptors(of pid: Int32) -> [Int: String] {
        let directory = "/proc/\(pid)/fd"
        var result: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let fd = Int(name), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)") else { continue }
            result[fd] = target
        }
        return result
    }
}
