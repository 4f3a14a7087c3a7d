import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// What Nova refuses before a VM would start, with Nova's status and words.
@Suite("Compute bad input and quotas in process")
struct ComputeAPIBadInputTests {
    @Test("a missing network or port is 400; a fixed IP for several servers is 400; min_count above max_count is 400")
    func refusedCreates() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let missing = "00000000-0000-4000-8000-000000000000"
            let image = try await admin.createImage(#"{"name": "i", "disk_format": "raw", "container_format": "bare"}"#)
            let imageID = try #require(image["id"] as? String)
            func create(_ extra: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "s", "imageRef": ""# + imageID + #"", "flavorRef": "1", "# + extra + "}}")
            }
            let queued = try await create(#""networks": "none""#)
            #expect(queued.status == .badRequest && queued.text.contains("is not active"), "\(queued.text)")
            let upload = try await admin.send(.put, "/image/v2/images/\(imageID)/file", headers: [.contentType: "application/octet-stream"], body: ByteBuffer(string: "a raw disk"))
            #expect(upload.status == .noContent)

            let network = try await create(#""networks": [{"uuid": "\#(missing)"}]"#)
            #expect(network.status == .badRequest && network.text.contains("Network \(missing) could not be found."), "\(network.text)")
            let port = try await create(#""networks": [{"port": "\#(missing)"}]"#)
            #expect(port.status == .badRequest && port.text.contains("Port id \(missing) could not be found."), "\(port.text)")
            let sharedIP = try await create(#""max_count": 2, "networks": [{"uuid": "private", "fixed_ip": "10.0.0.50"}]"#)
            #expect(sharedIP.status == .badRequest && sharedIP.text.contains("single configured fixed IP"), "\(sharedIP.text)")
            let counts = try await create(#""min_count": 3, "max_count": 2"#)
            #expect(counts.status == .badRequest, "\(counts.text)")
            let servers = try await admin.send(.get, "/compute/v2.1/servers")
            #expect((try servers.object()["servers"] as? [Any])?.isEmpty == true, "a refused create left a server: \(servers.text)")
        }
    }

    @Test("quota sets: members read their own and may not change them; bad values are 400; limits below usage are refused")
    func quotaSets() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let member = try await admin.newUser("erin", role: "member", projectID: project, projectName: "project-b")

            let own = try await member.send(.get, "/compute/v2.1/os-quota-sets/\(project)")
            #expect(own.status == .ok)
            let set = try #require(try own.object()["quota_set"] as? [String: Any])
            #expect(set["instances"] as? Int == 10 && set["cores"] as? Int == 20 && set["ram"] as? Int == 51200 && set["id"] as? String == project)
            let detail = try await member.send(.get, "/compute/v2.1/os-quota-sets/\(project)/detail")
            let instances = try #require((try detail.object()["quota_set"] as? [String: Any])?["instances"] as? [String: Any])
            #expect(instances["in_use"] as? Int == 0 && instances["limit"] as? Int == 10)

            let others = try await member.send(.get, "/compute/v2.1/os-quota-sets/someone-else")
            #expect(others.status == .forbidden)
            let change = try await member.send(.put, "/compute/v2.1/os-quota-sets/\(project)", json: #"{"quota_set": {"instances": 50}}"#)
            #expect(change.status == .forbidden && change.text.contains("os-quota-sets:update"), "\(change.text)")

            let unknown = try await admin.send(.put, "/compute/v2.1/os-quota-sets/\(project)", json: #"{"quota_set": {"gpus": 1}}"#)
            #expect(unknown.status == .badRequest && unknown.text.contains("'gpus' was unexpected"), "\(unknown.text)")
            let negative = try await admin.send(.put, "/compute/v2.1/os-quota-sets/\(project)", json: #"{"quota_set": {"cores": -2}}"#)
            #expect(negative.status == .badRequest, "\(negative.text)")
            let updated = try await admin.send(.put, "/compute/v2.1/os-quota-sets/\(project)", json: #"{"quota_set": {"cores": "4", "instances": -1}}"#)
            let limits = try #require(try updated.object()["quota_set"] as? [String: Any])
            #expect(limits["cores"] as? Int == 4 && limits["instances"] as? Int == -1, "\(limits)")

            // Neutron's form of the same, and its usage counts.
            let neutron = try await admin.send(.put, "/network/v2.0/quotas/\(project)", json: #"{"quota": {"network": 0, "check_limit": true}}"#)
            #expect(neutron.status == .ok, "\(neutron.text)")
            let refused = try await member.send(.post, "/network/v2.0/networks", json: #"{"network": {"name": "n"}}"#)
            #expect(refused.status == .conflict && refused.text.contains("OverQuota"), "\(refused.text)")
            let reset = try await admin.send(.delete, "/network/v2.0/quotas/\(project)")
            #expect(reset.status == .noContent)
            let created = try await member.send(.post, "/network/v2.0/networks", json: #"{"network": {"name": "n"}}"#)
            #expect(created.status == .created)
            let below = try await admin.send(.put, "/network/v2.0/quotas/\(project)", json: #"{"quota": {"network": 0, "check_limit": true}}"#)
            #expect(below.status == .badRequest && below.text.contains("already used"), "\(below.text)")
            let details = try await member.send(.get, "/network/v2.0/quotas/\(project)/details")
            let network = try #require((try details.object()["quota"] as? [String: Any])?["network"] as? [String: Any])
            #expect(network["used"] as? Int == 1 && network["limit"] as? Int == 100, "\(network)")
        }
    }

    @Test("console websockets refuse an unknown token with 401 and Nova's error shape")
    func consoleTokens() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            for path in ["/console/serial?token=0123456789abcdef", "/console/vnc?token=", "/console/serial"] {
                let response = try await client.execute(uri: path, method: .get, headers: [.connection: "Upgrade", .upgrade: "websocket"])
                #expect(response.status == .unauthorized, "\(path): \(response.status)")
            }
        }
    }
}

@Suite("Key pairs in process")
struct KeypairAPITests {
    @Test("an RSA key pair Nimbus generates is one ssh-keygen reads, and its public half is the one kept")
    func generatedRSA() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.send(.post, "/compute/v2.1/os-keypairs", json: #"{"keypair": {"name": "old-school", "key_type": "rsa"}}"#)
            #expect(created.status == .ok, "\(created.text)")
            let keypair = try #require(try created.object()["keypair"] as? [String: Any])
            let privateKey = try #require(keypair["private_key"] as? String)
            #expect(privateKey.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("rsa-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            try privateKey.write(to: file, atomically: true, encoding: .utf8)
            chmod(file.path, 0o600)
            let keygen = Process()
            keygen.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            keygen.arguments = ["-y", "-f", file.path]
            let output = Pipe()
            keygen.standardOutput = output
            try keygen.run()
            keygen.waitUntilExit()
            let derived = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let publicKey = try #require(keypair["public_key"] as? String)
            #expect(keygen.terminationStatus == 0)
            #expect(derived.split(separator: " ").prefix(2) == publicKey.split(separator: " ").prefix(2), "\(derived) vs \(publicKey)")
            let weird = try await admin.send(.post, "/compute/v2.1/os-keypairs", json: #"{"keypair": {"name": "a/b"}}"#)
            #expect(weird.status == .badRequest)
        }
    }
}

@Suite("noVNC pages in process")
struct NoVNCPageTests {
    @Test("without noVNC installed, its pages are a 404 that says what to install")
    func missingNoVNC() async throws {
        let cloud = try TestCloud(noVNCDirectory: "/nonexistent/novnc")
        try await cloud.withClient { client in
            let response = try await client.execute(uri: "/console/novnc/vnc.html?path=x", method: .get)
            #expect(response.status == .notFound)
            #expect(String(buffer: response.body).contains("novnc package"), "\(String(buffer: response.body))")
        }
    }
}
