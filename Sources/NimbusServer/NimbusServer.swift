import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import NIOCore
import Identity
import Compute
import Dashboard
import Images
import Logging
import Networking
import NimbusAPI
import NimbusCore
import NimbusStore
import QEMU
import ServiceLifecycle

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

    /// `caCertificate`: the self-issued certificate clouds.yaml tells clients to trust.
    public static func makeServices(_ configuration: NimbusConfiguration, caCertificate: URL? = nil) throws -> Services {
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        chmod(configuration.dataDirectory.path, 0o700)
        let store = try Store(path: configuration.databaseURL.path)
        let identity = IdentityService(
            store: store, passwordHashRounds: configuration.passwordHashRounds, tokenLifetime: configuration.tokenLifetime,
            credentialCipher: try CredentialCipher.load(from: configuration.credentialKey),
            lockout: configuration.lockoutFailureAttempts.map { .init(attempts: $0, duration: configuration.lockoutDuration) })
        let bootstrap = try identity.bootstrap(adminPassword: configuration.adminPassword)
        try identity.bootstrapCatalog(baseURL: configuration.baseURL)
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
            to: configuration.cloudsYAML, authURL: configuration.baseURL + "/identity", password: bootstrap.adminPassword,
            caCertificate: caCertificate?.path)
        return Services(
            store: store, identity: identity, images: images, flavors: flavors, networks: networks, bootstrap: bootstrap)
    }

    /// Everything `serve` runs, over one data directory: the services, the
    /// compute service on `runtime` with its supervisor, and the router.
    /// The tests build the same, with an in-memory runtime.
    public struct Cloud {
        public let services: Services
        public let compute: ComputeService
        public let supervisor: InstanceSupervisor
        public let router: Router<NimbusRequestContext>
    }

    /// Builds the cloud and settles every server against what still runs
    /// (`reconcile`) before anything is served.
    public static func makeCloud(
        _ configuration: NimbusConfiguration, services: Services, runtime: any VMRuntime, accelerator: AcceleratorChoice
    ) async throws -> Cloud {
        let compute = ComputeService(
            store: services.store, images: services.images, flavors: services.flavors, networks: services.networks,
            runtime: runtime, dataDirectory: configuration.dataDirectory, accelerator: accelerator)
        services.networks.accessChanges.observe { compute.refreshForwards($0) }
        try await compute.reconcile()
        let router = NimbusRouter.build(
            identity: services.identity, images: services.images, flavors: services.flavors, compute: compute,
            networks: services.networks, baseURL: configuration.baseURL, noVNCDirectory: configuration.noVNCDirectory)
        try await Dashboard(
            identity: services.identity, images: services.images, flavors: services.flavors, compute: compute, networks: services.networks,
            baseURL: configuration.baseURL
        ).addRoutes(to: router)
        return Cloud(services: services, compute: compute, supervisor: InstanceSupervisor(compute: compute), router: router)
    }

    /// Probes in the background when asked to choose; a given accelerator is used as given.
    func acceleratorChoice(_ setting: NimbusConfiguration.Accelerator) -> AcceleratorChoice {
        let given: VMSpec.Accelerator
        switch setting {
        case .auto:
            return AcceleratorChoice { [logger] in
                let probe = await AccelerationProbe().run()
                logger.info("virtual machines use \(probe.accelerator.rawValue.uppercased())", metadata: ["reason": "\(probe.reason)"])
                return probe.accelerator
            }
        case .kvm: given = .kvm
        case .tcg: given = .tcg
        }
        logger.info("virtual machines use \(given.rawValue.uppercased())", metadata: ["reason": "as configured"])
        return .fixed(given)
    }

    public func run() async throws {
        let accelerator = acceleratorChoice(configuration.accelerator)
        let runtime: any VMRuntime
        switch configuration.computeDriver {
        case .qemu:
            runtime = QEMURuntime(users: configuration.qemuFirstUID.map { QEMUUsers(firstUID: $0) })
            if let first = configuration.qemuFirstUID {
                logger.info("each QEMU runs as a uid of its own", metadata: ["first uid": "\(first)"])
            } else if getuid() == 0 {
                logger.info("QEMU runs as root, under its seccomp filter; NIMBUS_QEMU_FIRST_UID=\(NimbusConfiguration.suggestedQEMUFirstUID) gives each a uid of its own")
            }
        case .fake:
            logger.warning("compute driver fake: servers are records only, no virtual machine runs")
            runtime = InMemoryRuntime()
        }
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        let certificate = try configuration.tls.map { try ServerCertificate.resolve($0, configuration, logger: logger) }
        if certificate == nil, !configuration.listensOnLoopback {
            logger.warning(
                "listening beyond this machine without TLS: passwords and tokens cross the network in clear; start with --tls-cert and --tls-key, or --tls-self-signed",
                metadata: ["listen": "\(configuration.host):\(configuration.port)"])
        }
        let cloud = try await Self.makeCloud(
            configuration, services: try Self.makeServices(configuration, caCertificate: certificate.flatMap { $0.selfIssued ? $0.certificate : nil }),
            runtime: runtime, accelerator: accelerator)
        let tls = try certificate?.serverConfiguration()
        let webSocketResponder = cloud.router.buildResponder()
        let http = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1e9))))
        let headTimeout = TimeAmount.nanoseconds(Int64(configuration.requestHeadTimeout * 1e9))
        let server = HTTPServerBuilder { responder in
            // NIO's HTTP decoder takes at most 80 KiB of header fields.
            let guarded = RequestHeadGuard(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: http),
                timeout: headTimeout, limit: 96 * 1024)
            guard let tls else { return guarded }
            return try TLSChannel(guarded, tlsConfiguration: tls)
        }
        let app = Application(
            router: cloud.router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "nimbus"),
            onServerRunning: { _ in
                logger.info("nimbus is serving", metadata: [
                    "url": "\(configuration.baseURL)", "data-dir": "\(configuration.dataDirectory.path)",
                    "clouds.yaml": "\(configuration.cloudsYAML.path)",
                ])
            },
            logger: Logger(label: "nimbus.http"))
        // Shut down in reverse order: the API stops taking requests, then the
        // supervisor lets the work under way finish.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: cloud.supervisor), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
