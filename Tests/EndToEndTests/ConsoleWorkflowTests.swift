import Foundation
import Testing

/// Step 4 of the workflow: the user answers the installer through the console.
@Suite("Consoles with the real openstack client", .serialized)
struct ConsoleWorkflowTests {
    @Test("a serial client that attaches after the installer asked sees the question at once, before anything new is printed")
    func attachShowsTheScreen() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()
        let late = SerialWebSocketClient(url: try consoleURL(openstack, "vm"))
        defer { late.close() }
        #expect(try await late.waitFor("Install to /dev/vda? [yes/no]", seconds: 1), "the prompt within a second: \(late.text)")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    @Test("two serial websocket clients from `console url show --serial` see the installer; either one answers it; the console log holds it all")
    func serialConsoleAnswersTheInstaller() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()

        let first = try consoleURL(openstack, "vm")
        #expect(first.hasPrefix("ws://127.0.0.1:"), "\(first)")
        let alice = SerialWebSocketClient(url: first)
        let bob = SerialWebSocketClient(url: try consoleURL(openstack, "vm"))
        defer { alice.close(); bob.close() }
        guard case .connected? = try await alice.settled(), case .connected? = try await bob.settled() else {
            Issue.record("clients did not connect: \(String(describing: alice.state)) \(String(describing: bob.state))\n\(nimbus.log().suffix(2000))")
            return
        }

        alice.type("maybe\r")
        #expect(try await bob.waitFor("Please answer yes or no."), "bob sees what alice's answer caused: \(bob.text)")
        alice.type("yes\r")
        #expect(try await alice.waitFor("Hostname [nimbus-demo]:"), "\(alice.text)")
        bob.type("web-1\r")
        #expect(try await alice.waitFor("SSH public key for root"), "\(alice.text)")
        alice.type("\r")
        #expect(try await bob.waitFor("Eject the installation disc now?", seconds: 120), "\(bob.text.suffix(1500))")

        let console = try openstack.succeed("console", "log", "show", "vm")
        for line in ["Please answer yes or no.", "Hostname [nimbus-demo]:", "Configuring web-1...", "Installation complete."] {
            #expect(console.contains(line), "the console log lacks \(line)")
        }
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    @Test("a console URL opens once: reused, of another kind, or made up, it is refused and opens nothing")
    func consoleTokensOpenOnce() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()

        let url = try consoleURL(openstack, "vm")
        let first = SerialWebSocketClient(url: url)
        defer { first.close() }
        guard case .connected? = try await first.settled() else { Issue.record("the first use must connect"); return }
        let again = SerialWebSocketClient(url: url)
        defer { again.close() }
        guard case .failed? = try await again.settled() else { Issue.record("a used token must not connect: \(String(describing: again.state))"); return }

        let vnc = try #require(try openstack.json("console", "url", "show", "--novnc", "vm") as? [String: Any])
        let vncURL = try #require(vnc["url"] as? String)
        let token = try #require(vncURL.components(separatedBy: "token%3D").last)
        let wrongKind = SerialWebSocketClient(url: url.components(separatedBy: "token=")[0] + "token=" + token)
        defer { wrongKind.close() }
        guard case .failed? = try await wrongKind.settled() else { Issue.record("a VNC token must not open the serial console"); return }
        let madeUp = SerialWebSocketClient(url: url.components(separatedBy: "token=")[0] + "token=0123456789abcdef")
        defer { madeUp.close() }
        guard case .failed? = try await madeUp.settled() else { Issue.record("a made-up token must not connect"); return }
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    @Test("the URL from `console url show --novnc` opens noVNC in Chromium, which draws the guest's screen and types into the installer")
    func noVNCInTheBrowser() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()
        let before = try openstack.succeed("console", "log", "show", "vm")
        #expect(!before.contains("Please answer yes or no."))

        let console = try #require(try openstack.json("console", "url", "show", "--novnc", "vm") as? [String: Any])
        let url = try #require(console["url"] as? String)
        #expect(url.hasPrefix(nimbus.baseURL + "/console/novnc/vnc.html?"), "\(url)")
        let screenshot = nimbus.dataDirectory.appendingPathComponent("screen.png")
        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let script = Repository.root.appendingPathComponent("Tests/EndToEndTests/Browser/novnc_type.py").path
        let browser = try run(python, [script, url, "from-the-browser", screenshot.path])
        #expect(browser.succeeded, "\(browser.stdout)\n\(browser.stderr.suffix(3000))\n\(nimbus.log().suffix(2000))")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a screenshot of a drawn screen: \(png.count) bytes")

        // The installer read the typed line on its screen and said so on every console.
        let log = try await openstack.waitForConsole("vm", toShow: "Please answer yes or no.", within: .seconds(90))
        #expect(log.contains("Please answer yes or no."), "\(log.suffix(1000))")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    @Test("`nimbus console` in a pseudo-terminal: raw mode, answers the installer, Ctrl-] detaches and restores the terminal; --log prints the log; screenshot and send-keys")
    func nimbusConsoleInATerminal() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()

        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let script = Repository.root.appendingPathComponent("Tests/EndToEndTests/Terminal/console_pty.py").path
        let session = try run(python, [script, Repository.nimbusBinary.path, "vm"], environment: openstack.credentials)
        #expect(session.succeeded, "\(session.stdout)\(session.stderr)\n\(nimbus.log().suffix(2000))")
        #expect(session.stdout.contains("terminal restored"), "\(session.stdout)")

        let printed = try run(Repository.nimbusBinary, ["console", "--log", "vm"], environment: openstack.credentials)
        #expect(printed.succeeded && printed.stdout.contains("Please answer yes or no."), "\(printed.stdout.suffix(500))\(printed.stderr)")
        let missing = try run(Repository.nimbusBinary, ["console", "no-such-server"], environment: openstack.credentials)
        #expect(!missing.succeeded && missing.stderr.contains("No server"), "\(missing.stderr)")

        // The screen and the keyboard, without a console client.
        let png = nimbus.dataDirectory.appendingPathComponent("screen.png")
        let shot = try run(Repository.nimbusBinary, ["server", "screenshot", "vm", png.path], environment: openstack.credentials)
        #expect(shot.succeeded, "\(shot.stderr)")
        let image = (try? Data(contentsOf: png)) ?? Data()
        #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]) && image.count > 2_000, "a PNG of the installer's screen: \(image.count) bytes")
        let typed = try run(Repository.nimbusBinary, ["server", "send-keys", "vm", "--text", "no\\n"], environment: openstack.credentials)
        #expect(typed.succeeded, "\(typed.stderr)")
        let log = try await openstack.waitForConsole("vm", toShow: "No disk chosen", within: .seconds(90))
        #expect(log.contains("No disk chosen; nothing was written."), "typed keys reach the installer: \(log.suffix(800))")
        let badKey = try run(Repository.nimbusBinary, ["server", "send-keys", "vm", "ctrl-alt-banana"], environment: openstack.credentials)
        #expect(!badKey.succeeded && badKey.stderr.contains("is not a key"), "\(badKey.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
    }

    func consoleURL(_ openstack: OpenStackClient, _ server: String) throws -> String {
        let console = try #require(try openstack.json("console", "url", "show", "--serial", server) as? [String: Any])
        return try #require(console["url"] as? String)
    }
}
