import Foundation
import Testing

/// The other clients people use, unchanged: python-glanceclient's `glance`,
/// python-novaclient's `nova`, and openstacksdk from a script.
@Suite("Other OpenStack clients")
struct OtherClientsTests {
    static var venvBin: URL { Repository.openstackClient.deletingLastPathComponent() }

    /// The admin through the OS_* variables (neither glance nor nova reads clouds.yaml).
    static func adminEnvironment(_ nimbus: NimbusProcess) -> [String: String] {
        [
            "OS_AUTH_URL": "\(nimbus.baseURL)/identity/v3", "OS_USERNAME": "admin", "OS_PASSWORD": NimbusProcess.adminPassword,
            "OS_PROJECT_NAME": "admin", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_IDENTITY_API_VERSION": "3", "OS_CLOUD": "", "OS_CLIENT_CONFIG_FILE": "/nonexistent",
        ]
    }

    @Test("glance image-create, image-list, image-download and a missing image; nova boot, list, show")
    func glanceAndNova() async throws {
        let iso = try await DemoISO.path()
        let nimbus = try await NimbusProcess()
        let environment = Self.adminEnvironment(nimbus)
        func tool(_ name: String, _ arguments: String...) throws -> CommandResult {
            try run(Self.venvBin.appendingPathComponent(name), arguments, environment: environment)
        }
        let created = try tool("glance", "image-create", "--name", "installer", "--disk-format", "iso", "--container-format", "bare",
                               "--file", iso.path)
        #expect(created.succeeded, "\(created.stderr)")
        #expect(created.stdout.contains("| status") && created.stdout.contains("active"), "\(created.stdout)")
        let listed = try tool("glance", "image-list")
        #expect(listed.succeeded && listed.stdout.contains("installer"), "\(listed.stdout)\(listed.stderr)")
        let id = try #require(listed.stdout.split(separator: "\n").first { $0.contains("installer") }?
            .split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) })
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("glance-\(UUID().uuidString).iso")
        defer { try? FileManager.default.removeItem(at: copy) }
        let downloaded = try tool("glance", "image-download", "--file", copy.path, id)
        #expect(downloaded.succeeded, "\(downloaded.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: copy.path, andPath: iso.path), "the download is the upload")
        let missing = try tool("glance", "image-show", "00000000-0000-4000-8000-000000000000")
        #expect(!missing.succeeded && missing.stderr.contains("404") && missing.stderr.contains("No image found"), "\(missing.stderr)")

        let booted = try tool("nova", "boot", "--flavor", "m1.small", "--image", "installer", "--nic", "net-name=private", "--poll", "vm1")
        #expect(booted.succeeded, "\(booted.stderr)\n\(nimbus.log().suffix(3000))")
        let list = try tool("nova", "list")
        #expect(list.stdout.contains("vm1") && list.stdout.contains("ACTIVE") && list.stdout.contains("private=10.0.0."), "\(list.stdout)")
        let shown = try tool("nova", "show", "vm1")
        #expect(shown.stdout.contains("installer (\(id))"), "nova names the image through Nova's image proxy: \(shown.stdout)")
        let deleted = try tool("nova", "delete", "vm1")
        #expect(deleted.succeeded, "\(deleted.stderr)")
        withExtendedLifetime(nimbus) {}
    }

    @Test("openstacksdk: upload an image, make a network and subnet, boot a server on it, clean up")
    func openstacksdk() async throws {
        let iso = try await DemoISO.path()
        let nimbus = try await NimbusProcess()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/sdk_workflow.py")
        let result = try run(Self.venvBin.appendingPathComponent("python"), [script.path, iso.path], environment: [
            "OS_CLIENT_CONFIG_FILE": nimbus.cloudsYAML.path, "OS_CLOUD": "nimbus",
        ])
        #expect(result.succeeded, "\(result.stderr)\n\(nimbus.log().suffix(3000))")
        let line = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(seen["image_status"] as? String == "active")
        #expect(seen["server_status"] as? String == "ACTIVE")
        #expect((seen["addresses"] as? [String])?.first?.hasPrefix("192.168.77.") == true, "\(seen)")
        #expect((seen["networks"] as? [String])?.contains("sdk-net") == true)
        #expect((seen["left_servers"] as? [String])?.isEmpty == true)
        withExtendedLifetime(nimbus) {}
    }
}
