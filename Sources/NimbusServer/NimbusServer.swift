import Foundation
import Hummingbird
import HummingbirdWebSocket
import Identity
import Compute
import Images
import Logging
import Networking
import NimbusAPI
import NimbusCore
import NimbusStore
import QEMU

/// The composition root: opens the data directory, bootstraps, wires the
/// services to the router, and serves until SIGTERM or SIGINT.
public struct NimbusServer: Sendable {
    public let configuration: NimbusConfiguration
    let logger = Logger(label: "nimbus.server")

    public init(configuration: NimbusConfiguration) {
        self.configuration = configuration
    }

    /// The services over one data directory, bootstrapped; shared by `serve` and the tests.
    public struct Services: Sendable {
        public let store: Store
        public let identity: IdentityService
        public let images: ImageService
        public let flavors: FlavorService
        public let networks: NetworkService
        public let bootstrap: IdentityService.BootstrapResult
    }

    public static func makeServices(_ configuration: NimbusConfiguration) throws -> Services {
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        chmod(configuration.dataDirectory.path, 0o700)
        let store = try Store(path: configuration.databaseURL.path)
        let identity = IdentityService(
            store: store, passwordHashRounds: configuration.passwordHashRounds, tokenLifetime: configuration.tokenLifetime)
        let bootstrap = try identity.bootstrap(adminPassword: configuration.adminPassword)
        let blobs = try BlobStore(directory: configuration.blobsDirectory)
        // Nothing is uploading yet: leftovers of interrupted uploads go.
        blobs.sweepIncoming()
        for image in try store.resetInterruptedUploads() {
            Logger(label: "nimbus.server").warning("an interrupted upload was reset to queued", metadata: ["image.id": "\(image)"])
        }
        let images = ImageService(store: store, blobs: blobs)
        let flavors = FlavorService(store: store)
        try flavors.bootstrap()
        let networks = NetworkService(store: store)
        try networks.bootstrap(adminProject: bootstrap.adminProject.id)
        try CloudsYAML.write(
            to: configuration.cloudsYAML, authURL: configuration.baseURL + "/identity", password: bootstrap.adminPassword)
        return Services(
            store: store, identity: identity, images: images, flavors: flavors, networks: networks, bootstrap: bootstrap)
    }

    public func run() async throws {
        let services = try Self.makeServices(configuration)
        let probe = await AccelerationProbe().run(kernel: ProcessInfo.processInfo.environment["NIMBUS_PROBE_KERNEL"])
        logger.info("virtual machines use \(probe.accelerator.rawValue.uppercased())", metadata: ["reason": "\(probe.reason)"])
        let supervisor = InstanceSupervisor()
        let compute = ComputeService(
            store: services.store, images: services.images, flavors: services.flavors, networks: services.networks,
            supervisor: supervisor,
            dataDirectory: configuration.dataDirectory, accelerator: probe.accelerator)
        await supervisor.setEventHandler { id, event in await compute.handle(event, for: id) }
        await compute.reconcile()
        let router = NimbusRouter.build(
            identity: services.identity, images: services.images, flavors: services.flavors, compute: compute,
            networks: services.networks, baseURL: configuration.baseURL, noVNCDirectory: configuration.noVNCDirectory)
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "nimbus"),
            onServerRunning: { _ in
                logger.info("nimbus is serving", metadata: [
                    "url": "\(configuration.baseURL)", "data-dir": "\(configuration.dataDirectory.path)",
                    "clouds.yaml": "\(configuration.cloudsYAML.path)",
                ])
            },
            logger: Logger(label: "nimbus.http"))
        try await app.runService()
    }
}
