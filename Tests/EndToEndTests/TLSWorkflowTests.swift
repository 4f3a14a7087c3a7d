import Foundation
import Testing

/// The install workflow over HTTPS, as a user who starts `nimbus serve
/// --tls-self-signed` and uses the clouds.yaml it writes.
@Suite("HTTPS with a self-signed certificate and the real openstack client")
struct TLSWorkflowTests {
    @Test("--tls-self-signed: clouds.yaml says https with its cacert; the openstack client uploads the demo ISO and boots its installer; the serial console answers over wss:// through `nimbus console`; the dashboard in Chromium logs in with a Secure cookie and both its consoles work over wss; a client without the cacert is refused; a restart keeps the certificate")
    func selfSignedInstallWorkflow() async throws {
        let nimbus = try await NimbusProcess(selfSigned: true)
        let clouds = try String(contentsOf: nimbus.cloudsYAML, encoding: .utf8)
        #expect(clouds.contains("auth_url: https://127.0.0.1:\(nimbus.port)/identity"), "\(clouds)")
        #expect(clouds.contains("cacert: \"\(nimbus.certificate.path)\""), "\(clouds)")
        let key = nimbus.dataDirectory.appendingPathComponent("tls/nimbus.key")
        let mode = try FileManager.default.attributesOfItem(atPath: key.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the private key is the owner's alone")

        let openstack = OpenStackClient(admin: nimbus)
        try await openstack.bootInstaller()
        let console = try #require(try openstack.json("console", "url", "show", "--serial", "vm") as? [String: Any])
        let url = try #require(console["url"] as? String)
        #expect(url.hasPrefix("wss://127.0.0.1:\(nimbus.port)/"), "\(url)")
        // `nimbus console` takes the cacert from the same clouds.yaml.
        let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
        let script = Repository.root.appendingPathComponent("Tests/EndToEndTests/Terminal/console_pty.py").path
        let session = try run(python, [script, Repository.nimbusBinary.path, "vm"], environment: openstack.credentials)
        #expect(session.succeeded, "\(session.stdout)\(session.stderr)\n\(nimbus.log().suffix(2000))")

        // The dashboard in Chromium, which trusts this certificate alone: a Secure
        // session cookie, and both consoles of the running installer over wss.
        let serverID = try openstack.succeed("server", "show", "vm", "-f", "value", "-c", "id").trimmingCharacters(in: .whitespacesAndNewlines)
        let browserScript = Repository.root.appendingPathComponent("Tests/EndToEndTests/Browser/dashboard_tls.py").path
        let shots = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-tls-screens")
        let browser = try run(python, [browserScript, nimbus.baseURL, nimbus.certificate.path, "admin", NimbusProcess.adminPassword, serverID, shots.path])
        #expect(browser.succeeded, "\(browser.stdout)\(browser.stderr.suffix(3000))\n\(nimbus.log().suffix(2000))")

        // The same user without the cacert: the certificate is not trusted.
        let stranger = OpenStackClient(nimbus: nimbus, user: "admin", password: NimbusProcess.adminPassword, project: "admin")
        let refused = try stranger("server", "list")
        #expect(!refused.succeeded && refused.stderr.contains("CERTIFICATE_VERIFY_FAILED"), "\(refused.stderr.suffix(600))")
        let cli = try run(Repository.nimbusBinary, ["console", "--log", "vm"], environment: stranger.credentials)
        #expect(!cli.succeeded, "nimbus without the cacert must not trust the server: \(cli.stdout.suffix(300))")
        // Plain HTTP on the HTTPS port gets no answer a client could take for the API.
        let plain = try run(python, ["-c", "import urllib.request,sys\ntry: urllib.request.urlopen(sys.argv[1], timeout=5)\nexcept Exception as e: print(type(e).__name__)", "http://127.0.0.1:\(nimbus.port)/identity"])
        #expect(!plain.stdout.isEmpty, "plain HTTP must fail: \(plain.stdout)\(plain.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")

        let issued = try Data(contentsOf: nimbus.certificate)
        nimbus.stop()
        let again = try await NimbusProcess(reusing: nimbus.dataDirectory, selfSigned: true)
        #expect(try Data(contentsOf: again.certificate) == issued, "a restart keeps the certificate clients trust")
        _ = try OpenStackClient(admin: again).succeed("image", "list")
        again.stop()
        withExtendedLifetime(nimbus) {}
    }
}
