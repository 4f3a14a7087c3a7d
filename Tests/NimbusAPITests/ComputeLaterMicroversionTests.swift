import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Compute microversions 2.21 to 2.79, as the clients ask for them.
@Suite("Later compute microversions in process")
struct ComputeLaterMicroversionTests {
    static func send(_ caller: Caller, _ method: HTTPRequest.Method, _ path: String, _ version: String, json: String? = nil) async throws -> TestResponse {
        try await ComputeMicroversionTests.send(caller, method, path, version, json: json)
    }

    @Test("servers: tags and their filters, the embedded flavor, lock reasons, groups, full PUT views, strict queries, topology, create fields")
    func servers() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await ComputeServerInfoTests.activeServer(admin, iso, name: "tagged")["id"] as? String)
            let tags = "/compute/v2.1/servers/\(id)/tags"
            #expect(try await Self.send(admin, .get, tags, "2.25").status == .notFound, "no tags before 2.26")
            let put = try await Self.send(admin, .put, tags, "2.26", json: #"{"tags": ["web", "prod"]}"#)
            #expect(put.status == .ok, "\(put.text)")
            let added = try await Self.send(admin, .put, "\(tags)/blue", "2.26")
            #expect(added.status == .created && added.headers[.location]?.hasSuffix("/tags/blue") == true)
            #expect(try await Self.send(admin, .put, "\(tags)/blue", "2.26").status == .noContent, "already there")
            #expect(try await Self.send(admin, .get, "\(tags)/prod", "2.26").status == .noContent)
            #expect(try await Self.send(admin, .delete, "\(tags)/prod", "2.26").status == .noContent)
            #expect(try await Self.send(admin, .get, "\(tags)/prod", "2.26").status == .notFound)
            #expect(try await Self.send(admin, .put, "\(tags)/a,b", "2.26").status == .badRequest)
            func names(_ query: String, _ version: String = "2.26") async throws -> [String] {
                let listed = try await Self.send(admin, .get, "/compute/v2.1/servers?\(query)", version).object()["servers"] as? [[String: Any]]
                return listed?.compactMap { $0["name"] as? String } ?? []
            }
            #expect(try await names("tags=web,blue") == ["tagged"])
            #expect(try await names("tags=web,prod").isEmpty)
            #expect(try await names("not-tags-any=blue").isEmpty)
            // Nova's other filters: by host name (a regular expression), power state, and no deleted servers kept.
            #expect(try await names("hostname=^tag") == ["tagged"])
            #expect(try await names("hostname=^web").isEmpty)
            #expect(try await names("power_state=1") == ["tagged"])
            #expect(try await names("deleted=true").isEmpty)
            #expect(try await names("availability_zone=nova&host=nimbus", "2.75") == ["tagged"])

            let shown = try #require(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)", "2.79").object()["server"] as? [String: Any])
            #expect(Set(shown["tags"] as? [String] ?? []) == ["web", "blue"])
            let flavor = try #require(shown["flavor"] as? [String: Any])
            #expect(flavor["original_name"] as? String == "m1.tiny" && flavor["id"] == nil && flavor["extra_specs"] is [String: Any])
            #expect(shown["trusted_image_certificates"] is NSNull && (shown["server_groups"] as? [Any])?.isEmpty == true)

            let action = "/compute/v2.1/servers/\(id)/action"
            #expect(try await Self.send(admin, .post, action, "2.72", json: #"{"lock": {"locked_reason": "audit"}}"#).status == .badRequest)
            #expect(try await Self.send(admin, .post, action, "2.73", json: #"{"lock": {"locked_reason": "audit"}}"#).status == .accepted)
            let locked = try #require(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)", "2.73").object()["server"] as? [String: Any])
            #expect(locked["locked"] as? Bool == true && locked["locked_reason"] as? String == "audit")
            #expect(try await names("locked=true", "2.73") == ["tagged"])
            #expect(try await names("locked=false", "2.73").isEmpty)

            // From 2.75 PUT answers the whole server, and unknown list parameters are refused.
            let oldPut = try #require(try await Self.send(admin, .put, "/compute/v2.1/servers/\(id)", "2.74", json: #"{"server": {"name": "tagged"}}"#).object()["server"] as? [String: Any])
            #expect(oldPut["OS-EXT-STS:vm_state"] == nil)
            let newPut = try #require(try await Self.send(admin, .put, "/compute/v2.1/servers/\(id)", "2.75", json: #"{"server": {"name": "tagged"}}"#).object()["server"] as? [String: Any])
            #expect(newPut["OS-EXT-STS:vm_state"] as? String == "active" && newPut["server_groups"] is [Any])
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers?colour=red", "2.74").status == .ok)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers?colour=red", "2.75").status == .badRequest)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers?sort_key=vcpus", "2.75").status == .badRequest)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers?status=bogus", "2.38").status == .badRequest)
            let window = "/compute/v2.1/servers?changes-since=2030-01-01T00:00:00Z&changes-before=2020-01-01T00:00:00Z"
            #expect(try await Self.send(admin, .get, window, "2.66").status == .badRequest)

            let topology = try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/topology", "2.78")
            let nodes = try topology.object()["nodes"] as? [Any]
            #expect(topology.status == .ok && nodes?.isEmpty == true)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/topology", "2.77").status == .notFound)

            // Create: networks are required from 2.37, tags come at 2.52, certificates are refused as unverifiable.
            let bare = #"{"server": {"name": "n", "imageRef": "\#(iso)", "flavorRef": "1"}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/servers", "2.37", json: bare).status == .badRequest)
            let tagged = #"{"server": {"name": "t", "imageRef": "\#(iso)", "flavorRef": "1", "networks": "none", "tags": ["x"]}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/servers", "2.51", json: tagged).status == .badRequest)
            #expect(try await Self.send(admin, .post, "/compute/v2.1/servers", "2.52", json: tagged).status == .accepted)
            let trusted = #"{"server": {"name": "c", "imageRef": "\#(iso)", "flavorRef": "1", "networks": "none", "trusted_image_certificates": ["cert-1"]}}"#
            let refused = try await Self.send(admin, .post, "/compute/v2.1/servers", "2.63", json: trusted)
            #expect(refused.status == .badRequest && refused.text.contains("not yet available"))
        }
    }

    @Test("elsewhere: proxies and quota keys retire, snapshots answer image_id, flavors gain descriptions, actions page and outlive servers, groups take rules")
    func elsewhere() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/images", "2.35").status == .ok)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/images", "2.36").status == .notFound)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/os-floating-ips", "2.36").status == .notFound)
            let projects = try await admin.send(.get, "/identity/v3/auth/projects").object()["projects"] as? [[String: Any]]
            let project = try #require(projects?.first { $0["name"] as? String == "admin" }?["id"] as? String)
            let quotas = try await Self.send(admin, .get, "/compute/v2.1/os-quota-sets/\(project)", "2.57").object()["quota_set"] as? [String: Any]
            #expect(quotas?["floating_ips"] == nil && quotas?["injected_files"] == nil && quotas?["instances"] != nil)
            let retired = #"{"quota_set": {"floating_ips": 5}}"#
            #expect(try await Self.send(admin, .put, "/compute/v2.1/os-quota-sets/\(project)", "2.36", json: retired).status == .badRequest)

            let flavor = #"{"flavor": {"name": "described", "ram": 64, "vcpus": 1, "disk": 1, "description": "small"}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/flavors", "2.54", json: flavor).status == .badRequest)
            let made = try #require(try await Self.send(admin, .post, "/compute/v2.1/flavors", "2.61", json: flavor).object()["flavor"] as? [String: Any])
            #expect(made["description"] as? String == "small" && made["extra_specs"] is [String: Any] && made["swap"] as? String == "")
            let flavorID = try #require(made["id"] as? String)
            let updated = try await Self.send(admin, .put, "/compute/v2.1/flavors/\(flavorID)", "2.75", json: #"{"flavor": {"description": "tiny"}}"#)
            let updatedBody = try #require(try updated.object()["flavor"] as? [String: Any])
            #expect(updatedBody["description"] as? String == "tiny" && updatedBody["swap"] as? Int == 0)
            #expect(try await Self.send(admin, .put, "/compute/v2.1/flavors/\(flavorID)", "2.54", json: #"{"flavor": {"description": "x"}}"#).status == .notFound)

            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await ComputeServerInfoTests.activeServer(admin, iso, name: "snap")["id"] as? String)
            let snapshot = try await Self.send(admin, .post, "/compute/v2.1/servers/\(id)/action", "2.45", json: #"{"createImage": {"name": "golden"}}"#)
            #expect(snapshot.status == .accepted && snapshot.headers[.location] == nil)
            #expect((try snapshot.object()["image_id"] as? String) != nil)
            _ = try await Self.send(admin, .post, "/compute/v2.1/servers/\(id)/action", "2.58", json: #"{"os-stop": null}"#)
            let actions = try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/os-instance-actions?limit=1", "2.58").object()
            let page = try #require(actions["instanceActions"] as? [[String: Any]])
            #expect(page.count == 1 && actions["links"] != nil && page.first?["updated_at"] != nil)
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/os-instance-actions?colour=red", "2.58").status == .badRequest)
            #expect(try await admin.send(.delete, "/compute/v2.1/servers/\(id)").status == .noContent)
            for _ in 0..<200 where try await admin.send(.get, "/compute/v2.1/servers/\(id)").status != .notFound {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/os-instance-actions", "2.20").status == .notFound)
            let kept = try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)/os-instance-actions", "2.21").object()["instanceActions"] as? [[String: Any]]
            #expect(kept?.contains { $0["action"] as? String == "delete" } == true, "a deleted server's actions stay readable from 2.21")

            let rules = #"{"server_group": {"name": "spread", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.63", json: rules).status == .badRequest)
            let group = try #require(try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.64", json: rules).object()["server_group"] as? [String: Any])
            #expect(group["policy"] as? String == "anti-affinity" && group["policies"] == nil)
            #expect((group["rules"] as? [String: Any])?["max_server_per_host"] as? Int == 2)
            let affinityRules = #"{"server_group": {"name": "x", "policy": "affinity", "rules": {"max_server_per_host": 2}}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.64", json: affinityRules).status == .badRequest)
        }
    }
}

@Suite("x509 key pairs in process")
struct X509KeypairTests {
    @Test("an x509 key pair is generated as a certificate openssl reads, with Nova's SHA-1 fingerprint; a bad certificate is a 400")
    func x509() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let made = try await ComputeMicroversionTests.send(admin, .post, "/compute/v2.1/os-keypairs", "2.2", json: #"{"keypair": {"name": "winrm", "type": "x509"}}"#)
            #expect(made.status == .created, "\(made.text)")
            let keypair = try #require(try made.object()["keypair"] as? [String: Any])
            let certificate = try #require(keypair["public_key"] as? String)
            #expect(keypair["type"] as? String == "x509" && (keypair["private_key"] as? String)?.contains("PRIVATE KEY") == true)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("cert-\(UUID().uuidString).pem")
            defer { try? FileManager.default.removeItem(at: file) }
            try certificate.write(to: file, atomically: true, encoding: .utf8)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["x509", "-in", file.path, "-noout", "-subject", "-fingerprint", "-sha1"]
            let output = Pipe()
            openssl.standardOutput = output
            try openssl.run()
            openssl.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(openssl.terminationStatus == 0 && text.contains("CN = winrm"), "\(text)")
            let fingerprint = try #require(keypair["fingerprint"] as? String)
            #expect(text.lowercased().contains(fingerprint), "openssl's SHA-1 fingerprint is Nova's: \(text) vs \(fingerprint)")

            let body = try JSONSerialization.data(withJSONObject: ["keypair": ["name": "again", "type": "x509", "public_key": certificate]])
            let imported = try await ComputeMicroversionTests.send(admin, .post, "/compute/v2.1/os-keypairs", "2.2", json: String(decoding: body, as: UTF8.self))
            let importedBody = try #require(try imported.object()["keypair"] as? [String: Any])
            #expect(imported.status == .created && importedBody["fingerprint"] as? String == fingerprint)
            let bad = try await ComputeMicroversionTests.send(admin, .post, "/compute/v2.1/os-keypairs", "2.2", json: #"{"keypair": {"name": "bad", "type": "x509", "public_key": "not a certificate"}}"#)
            #expect(bad.status == .badRequest)
        }
    }
}
