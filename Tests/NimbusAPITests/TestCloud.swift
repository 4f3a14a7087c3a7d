import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Compute
import NimbusAPI
import NimbusCore
import NimbusServer
import Testing

/// The real router and services over a throwaway data directory, driven in process.
struct TestCloud {
    static let adminPassword = "api-test-admin"
    let configuration: NimbusConfiguration
    let services: NimbusServer.Services
    let noVNCDirectory: String

    init(noVNCDirectory: String = NimbusConfiguration.defaultNoVNCDirectory, tokenLifetime: TimeInterval = 3600) throws {
        self.noVNCDirectory = noVNCDirectory
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-api-\(UUID().uuidString)")
        // Few hash rounds: these tests exercise the API, not the KDF's cost.
        configuration = NimbusConfiguration(
            dataDirectory: directory, port: 8774, adminPassword: Self.adminPassword, tokenLifetime: tokenLifetime, passwordHashRounds: 1_000)
        services = try NimbusServer.makeServices(configuration)
    }

    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        // The composition root `serve` uses, on a runtime without VMs.
        var configuration = configuration
        configuration.noVNCDirectory = noVNCDirectory
        let cloud = try await NimbusServer.makeCloud(configuration, services: services, runtime: InMemoryRuntime(), accelerator: .tcg)
        try await Application(router: cloud.router).test(.router, body)
        try? FileManager.default.removeItem(at: configuration.dataDirectory)
    }
}

extension TestClientProtocol {
    /// Issues a project-scoped token and returns it.
    func token(user: String = "admin", password: String = TestCloud.adminPassword, project: String = "admin") async throws -> String {
        let body = """
            {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "\(user)", "domain": {"id": "default"}, "password": "\(password)"}}},
             "scope": {"project": {"name": "\(project)", "domain": {"id": "default"}}}}}
            """
        return try await execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == .created)
            return try #require(response.headers[HTTPField.Name("X-Subject-Token")!])
        }
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }
}
