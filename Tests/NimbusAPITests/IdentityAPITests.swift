import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Identity API in process")
struct IdentityAPITests {
    @Test("a password token carries user, project, roles and the catalog")
    func passwordToken() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let token = try await client.token()
            try await client.execute(uri: "/identity/v3/auth/tokens", method: .get, headers: [
                HTTPField.Name("X-Auth-Token")!: token, HTTPField.Name("X-Subject-Token")!: token,
            ]) { response in
                #expect(response.status == .ok)
                let body = try client.json(response)
                let tokenBody = try #require(body["token"] as? [String: Any])
                #expect((tokenBody["user"] as? [String: Any])?["name"] as? String == "admin")
                #expect((tokenBody["project"] as? [String: Any])?["name"] as? String == "admin")
                let roles = (tokenBody["roles"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(roles.contains("admin"))
                let catalog = (tokenBody["catalog"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
                #expect(Set(catalog).isSuperset(of: ["identity", "image"]))
            }
        }
    }

    @Test("a wrong password, an unknown user and a revoked token are all 401 in Keystone's shape")
    func refusals() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let body = #"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": "wrong"}}}}}"#
            try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unauthorized)
                let error = try #require(try client.json(response)["error"] as? [String: Any])
                #expect(error["code"] as? Int == 401)
            }
            let token = try await client.token()
            try await client.execute(uri: "/identity/v3/auth/tokens", method: .delete, headers: [
                HTTPField.Name("X-Auth-Token")!: token, HTTPField.Name("X-Subject-Token")!: token,
            ]) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/identity/v3/projects", method: .get, headers: [HTTPField.Name("X-Auth-Token")!: token]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("malformed bodies are 400 with a message, never a 500")
    func malformedBodies() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            for body in ["{", "[]", #"{"auth": 5}"#, #"{"auth": {"identity": {"methods": "password"}}}"#, ""] {
                try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "body \(body) gave \(response.status)")
                    let error = try #require(try client.json(response)["error"] as? [String: Any])
                    #expect((error["message"] as? String)?.isEmpty == false)
                }
            }
        }
    }
}
