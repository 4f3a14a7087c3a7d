import Foundation
import Testing

/// Step 6 of the workflow: the installed system reached over SSH through a
/// floating IP, with a key pair's key, as an OpenStack user reaches it.
@Suite("SSH through a floating IP with the real openstack client", .serialized)
struct AccessWorkflowTests {
    @Test("""
        install the demo OS with a key pair's key; through a floating IP ssh prints the hostname typed at \
        install; rules and port forwardings apply live; the guest reaches nothing on the host; a snapshot boots with \
        its own floating IP; other projects cannot use it; removed, the floating IP refuses
        """)
    func sshThroughFloatingIP() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let key = try KeypairAccess(openstack, in: nimbus.dataDirectory.appendingPathComponent("work"))
        let publicKey = key.publicKey

        try await openstack.bootInstaller("my-instance")
        try await openstack.installDemoOS("my-instance", hostname: "typed-at-install", key: publicKey)
        let booted = try await openstack.waitForConsole("my-instance", toShow: "is up: hostname typed-at-install", within: .seconds(540))
        #expect(booted.contains("is up: hostname typed-at-install"), "\(booted.suffix(1500))")
        // The installer ejected its own disc (QEMU's tray event): the drive is recorded empty.
        let media = try run(Repository.nimbusBinary, ["server", "media", "my-instance"], environment: openstack.credentials)
        #expect(media.succeeded && media.stdout.contains("(empty)"), "the guest's eject empties the drive: \(media.stdout)\(media.stderr)")

        let address = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(address.hasPrefix("127.10.0."))
        _ = try openstack.succeed("server", "add", "floating", "ip", "my-instance", address)
        let addresses = try openstack.succeed("server", "show", "my-instance", "-f", "value", "-c", "addresses")
        #expect(addresses.contains(address), "the server lists its floating IP: \(addresses)")

        func ssh(_ command: String, to host: String? = nil, port: Int = 22) throws -> CommandResult {
            try key.ssh(command, host: host ?? address, port: port)
        }
        var hostname = try ssh("hostname")
        for _ in 0..<30 where !hostname.succeeded {
            try await Task.sleep(for: .seconds(2))
            hostname = try ssh("hostname")
        }
        #expect(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "typed-at-install", "ssh: \(hostname.stderr)")

        // From inside the guest: its own SSH server answers (so the probe
        // works), while the host, through the gateway, is out of reach on
        // Nimbus's port and on any other. (127.10.0.x inside a guest is the
        // guest's own loopback, so no guest can name another's floating IP.)
        let port = URL(string: nimbus.baseURL)?.port ?? 0
        let probes = try ssh("""
            for target in "127.0.0.1 22" "10.0.0.1 \(port)" "10.0.0.1 22" "10.0.0.1 80"; do
                if nc -w 3 $target </dev/null >/dev/null 2>&1; then echo "reached $target"; else echo "blocked $target"; fi
            done
            """)
        #expect(probes.succeeded, "\(probes.stderr)")
        #expect(probes.stdout.contains("reached 127.0.0.1 22"), "\(probes.stdout)")
        for target in ["10.0.0.1 \(port)", "10.0.0.1 22", "10.0.0.1 80"] {
            #expect(probes.stdout.contains("blocked \(target)"), "the guest reached \(target) on the host: \(probes.stdout)")
        }

        // Rules change the forwards live: without the SSH rule the port closes, with it it opens again.
        let rule = try openstack.succeed("security", "group", "rule", "list", "default", "--protocol", "tcp", "-f", "value", "-c", "ID")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("security", "group", "rule", "delete", rule)
        let closed = try ssh("hostname")
        #expect(!closed.succeeded && closed.stderr.contains("Connection refused"), "without the rule: \(closed.stderr)")
        _ = try openstack.succeed("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "default")
        #expect(try ssh("hostname").succeeded, "the rule is back")

        // A port forwarding reaches the same guest port from a high port of another floating IP.
        let second = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let instancePort = try openstack.succeed("port", "list", "--server", "my-instance", "-f", "value", "-c", "ID")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let fixed = try openstack.succeed("port", "show", instancePort, "-f", "json", "-c", "fixed_ips")
        let fixedIP = try #require(fixed.firstMatch(of: /10\.0\.0\.\d+/).map { String($0.output) })
        _ = try openstack.succeed(
            "floating", "ip", "port", "forwarding", "create", "--internal-ip-address", fixedIP, "--port", instancePort,
            "--internal-protocol-port", "22", "--external-protocol-port", "2222", "--protocol", "tcp", second)
        let forwarded = try ssh("hostname", to: second, port: 2222)
        #expect(forwarded.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "typed-at-install", "port 2222: \(forwarded.stderr)")

        // The installed disk as an image boots a second server. A disk image
        // booted with a key pair gets a config drive unasked (there is no
        // metadata service), so it takes the server's name as its hostname.
        // Each floating IP reaches its own server.
        _ = try openstack.succeed("server", "image", "create", "--name", "installed", "--wait", "my-instance")
        _ = try openstack.succeed("server", "create", "--flavor", "m1.tiny", "--image", "installed", "--key-name", "mykey", "--wait", "copy")
        let copy = try #require(try openstack.json("server", "show", "copy") as? [String: Any])
        #expect(copy["config_drive"] as? String == "True", "\(copy)")
        let copyLog = try await openstack.waitForConsole("copy", toShow: "is up: hostname copy", within: .seconds(360))
        #expect(copyLog.contains("metadata applied from the config drive"), "\(copyLog.suffix(1500))")
        let copyAddress = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("server", "add", "floating", "ip", "copy", copyAddress)
        var copyHostname = try ssh("hostname", to: copyAddress)
        for _ in 0..<15 where !copyHostname.succeeded {
            try await Task.sleep(for: .seconds(2))
            copyHostname = try ssh("hostname", to: copyAddress)
        }
        #expect(copyHostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "copy", "\(copyHostname.stderr)")
        #expect(try ssh("hostname").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "typed-at-install")
        _ = try openstack.succeed("server", "delete", "--wait", "copy")

        // Another project can neither take the floating IP nor give it its ports.
        let bob = try openstack.newMember()
        let bobsPort = try bob.succeed("port", "create", "--network", "private", "bobs-port", "-f", "value", "-c", "id")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let take = try bob("floating", "ip", "set", "--port", bobsPort, address)
        #expect(!take.succeeded, "project B used project A's floating IP")
        let bobsAddress = try bob.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let give = try bob("server", "add", "floating", "ip", "my-instance", bobsAddress)
        #expect(!give.succeeded && give.stderr.contains("No Server found"), "\(give.stderr)")
        let direct = try bob("floating", "ip", "set", "--port", instancePort, bobsAddress)
        #expect(!direct.succeeded && direct.stderr.contains("No Port found"), "project A's port is invisible to B: \(direct.stderr)")

        _ = try openstack.succeed("server", "remove", "floating", "ip", "my-instance", address)
        let refused = try ssh("hostname")
        #expect(!refused.succeeded && refused.stderr.contains("Connection refused"), "after removal: \(refused.stdout) \(refused.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "my-instance")
    }
}
