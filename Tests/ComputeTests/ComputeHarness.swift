import Foundation
import Identity
import Images
import NimbusCore
import NimbusServer
import NimbusStore
import QEMU
@testable import Compute

/// The compute service as `serve` builds it, over a throwaway data
/// directory and SQLite, on the in-memory runtime: lifecycle tests without QEMU.
struct ComputeHarness {
    let configuration: NimbusConfiguration
    let services: NimbusServer.Services
    let runtime: InMemoryRuntime
    let compute: ComputeService
    let admin: AuthContext

    init(runtime: InMemoryRuntime = InMemoryRuntime(), reusing earlier: ComputeHarness? = nil) async throws {
        if let earlier {
            configuration = earlier.configuration
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-compute-\(UUID().uuidString)")
            configuration = NimbusConfiguration(dataDirectory: directory, port: 8774, adminPassword: "compute-test", passwordHashRounds: 1_000)
        }
        services = try NimbusServer.makeServices(configuration)
        self.runtime = runtime
        compute = try await NimbusServer.makeCloud(configuration, services: services, runtime: runtime, accelerator: .tcg).compute
        admin = Self.auth(services.bootstrap.adminProject, roles: ["admin", "member", "reader"])
    }

    func removeData() {
        try? FileManager.default.removeItem(at: configuration.dataDirectory)
    }

    /// A caller in `project` with `roles`, as a validated token would give.
    static func auth(_ project: Project, roles: [String], user: String = "admin") -> AuthContext {
        AuthContext(
            userId: UserID(rawValue: "user-\(user)"), userName: user, userDomainId: .default, project: project,
            roles: roles.map { Role(id: RoleID(rawValue: $0), name: $0) }, issuedAt: .now, expiresAt: .distantFuture, auditId: "test")
    }

    /// A member of another project.
    func stranger() -> AuthContext {
        Self.auth(Project(id: ProjectID(rawValue: "other-project"), domainId: .default, name: "other"), roles: ["member", "reader"], user: "eve")
    }

    /// An active image: a minimal ISO 9660 file (the volume descriptor at sector 16), or raw bytes.
    func image(iso: Bool = true, properties: [String: String] = [:]) async throws -> Image {
        var attributes: [String: JSONValue] = [
            "name": .string(iso ? "installer" : "disk"), "disk_format": .string(iso ? "iso" : "raw"), "container_format": "bare",
        ]
        for (key, value) in properties { attributes[key] = .string(value) }
        let image = try services.images.create(attributes, admin)
        var bytes = Data(count: 16 * 2048 + 2048)
        bytes[16 * 2048] = 1
        bytes.replaceSubrange(16 * 2048 + 1..<16 * 2048 + 6, with: Data("CD001".utf8))
        let file = configuration.dataDirectory.appendingPathComponent("upload-\(image.id)")
        try bytes.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await services.images.upload(image.id.rawValue, body: FileChunks(url: file), expectation: .init(), admin)
    }

    /// Creates a server and waits until it has settled.
    func server(_ name: String = "vm", image: Image, flavor: String = "1") async throws -> Server {
        let created = try compute.create(.init(name: name, imageRef: image.id.rawValue, flavorRef: flavor), admin)[0]
        await settled()
        return try current(created.id)
    }

    /// Waits until no work is queued or under way.
    func settled() async {
        await compute.operations.idle()
    }

    func current(_ id: ServerID) throws -> Server {
        try compute.server(id.rawValue, admin)
    }

    func calls() -> [String] { runtime.withRecord { $0.calls } }
    func spec(_ id: ServerID) -> QEMUSpecView? { runtime.withRecord { $0.running[id] }.map { QEMUSpecView(spec: $0.spec) } }
}

/// What a test reads off a launched VM's spec.
struct QEMUSpecView {
    let spec: VMSpec
    var driveIDs: [String] { spec.drives.map(\.id) }
    func drive(_ id: String) -> Drive? { spec.drives.first { $0.id == id } }
}
