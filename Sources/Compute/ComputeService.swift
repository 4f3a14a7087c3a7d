import Foundation
import Identity
import Images
import Logging
import NimbusCore
import Networking
import NimbusStore
import QEMU

/// Servers: Nova's lifecycle over QEMU virtual machines.
public struct ComputeService: Sendable {
    let store: Store
    let images: ImageService
    let flavors: FlavorService
    let networks: NetworkService
    let runtime: any VMRuntime
    let dataDirectory: URL
    let runtimeDirectory: URL
    let accelerator: AcceleratorChoice
    let operations = ServerOperations()
    /// One-time tokens of console URLs.
    public let consoles = ConsoleGrants()
    /// Nova's per-project quotas: instances, cores, ram and the rest.
    public let quotas: ProjectQuotas
    let logger = Logger(label: "nimbus.compute")

    public init(
        store: Store, images: ImageService, flavors: FlavorService, networks: NetworkService,
        runtime: any VMRuntime, dataDirectory: URL, accelerator: AcceleratorChoice
    ) {
        self.store = store
        self.images = images
        self.flavors = flavors
        self.networks = networks
        self.runtime = runtime
        self.dataDirectory = dataDirectory
        self.runtimeDirectory = InstancePaths.runtimeDirectory(for: dataDirectory)
        self.accelerator = accelerator
        self.quotas = .compute(store)
    }

    func paths(_ id: ServerID) -> InstancePaths {
        InstancePaths(server: id, dataDirectory: dataDirectory, runtimeDirectory: runtimeDirectory)
    }

    /// What a create request asks for.
    public struct CreateRequest: Sendable {
        public var name: String
        public var imageRef: String
        public var flavorRef: String
        public var metadata: [String: String]
        public var keyName: String?
        public var userData: String?
        public var configDrive: Bool
        /// `--nic net-id=N[,v4-fixed-ip=A]`; nil means the `private` network,
        /// empty means no NIC at all (Nova's `"networks": "none"`).
        public var networks: [NetworkRequest]?
        public var minCount = 1
        public var maxCount = 1
        /// Security groups by name (or id) for every new port; nil: the project's default group.
        public var securityGroups: [String]?
        /// ISO images (ids or names) for CD drives after the installer's: a
        /// driver disc, a kickstart or preseed disc.
        public var extraCDs: [String] = []
        /// A root disk of this many GiB instead of the flavor's.
        public var rootDiskGiB: Int?
        /// Nova's `os:scheduler_hints` group: the server group to join.
        public var serverGroup: String?
        /// Nova's accessIPv4/accessIPv6, already checked as addresses.
        public var description: String?
        public var tags: [String] = []
        public var accessIpv4 = ""
        public var accessIpv6 = ""
        public init(name: String, imageRef: String, flavorRef: String, metadata: [String: String] = [:], keyName: String? = nil, userData: String? = nil, configDrive: Bool = false, networks: [NetworkRequest]? = nil) {
            self.networks = networks
            self.name = name
            self.imageRef = imageRef
            self.flavorRef = flavorRef
            self.metadata = metadata
            self.keyName = keyName
            self.userData = userData
            self.configDrive = configDrive
        }
    }

    /// One `--nic`: a network (optionally with the fixed IP wanted), or a port the user made.
    public enum NetworkRequest: Sendable {
        case network(String, fixedIP: String? = nil)
        case port(String)
    }

    /// A `--nic` once checked: the network to allocate a port on, or the user's port.
    enum NICSource {
        case network(Network, fixedIP: String?)
        case port(NetworkPort)
    }

    /// Checks the request, records the servers in BUILD and starts them in
    /// the background; the first returned server is what the API answers 202 with.
    ///
    /// As in Nova, `maxCount` servers are made when the quota allows, else as
    /// many as it allows if that is at least `minCount`, else none (403).
    public func create(_ request: CreateRequest, _ auth: AuthContext) throws -> [Server] {
        let project = try Policy.requireProjectMember(auth)
        let name = request.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(request.name). It must be 1 to 255 characters.")
        }
        guard request.minCount >= 1, request.maxCount >= request.minCount else {
            throw NimbusError.badRequest("min_count must be at least 1 and at most max_count.")
        }
        let flavor: Flavor
        do { flavor = try flavors.flavor(request.flavorRef, auth) } catch let error as NimbusError where error.code == .notFound {
            throw NimbusError.badRequest("Flavor \(request.flavorRef) could not be found.")
        }
        let image: Image
        do { image = try images.image(request.imageRef, auth) } catch let error as NimbusError where error.code == .notFound {
            throw NimbusError.badRequest("Image \(request.imageRef) could not be found.")
        }
        guard image.status == .active else {
            throw NimbusError.badRequest("Image \(image.id) is not active.")
        }
        let rootDisk = request.rootDiskGiB ?? flavor.disk
        if image.diskFormat == "iso", rootDisk == 0 {
            throw NimbusError.badRequest("Flavor \(flavor.name) has no root disk (disk 0), but image \(image.name ?? image.id.rawValue) is an ISO installer that needs a disk to install onto. Choose a flavor with a root disk.")
        }
        // Hardware the image or flavor asks for and Nimbus cannot give is refused now, not at launch.
        _ = try GuestHardware(image: image.properties, flavor: flavor.extraSpecs)
        if image.minRam > flavor.ram { throw NimbusError.badRequest("Flavor's memory is too small for requested image.") }
        if image.minDisk > rootDisk, rootDisk > 0 { throw NimbusError.badRequest("Flavor's disk is too small for requested image.") }
        let extraCDs = try request.extraCDs.map { try isoImage($0, auth) }
        let nics = try nicSources(request.networks ?? [.network("private")], count: request.maxCount, auth)
        let groups = try request.securityGroups.map { names in
            do { return try networks.securityGroupIds(names, project: project) } catch let error as NimbusError where error.code == .notFound {
                throw NimbusError.badRequest("Unable to find security_group with name or id '\(names.joined(separator: ", "))'")
            }
        }
        try checkMetadataQuota(request.metadata, project: project)
        let keypair = try request.keyName.map { name in
            guard let keypair = try store.keypair(name, of: auth.userId) else { throw NimbusError.badRequest("Invalid key_name provided.") }
            return keypair
        }
        let count = try instanceCount(request, flavor: flavor, project: project)
        let group = try request.serverGroup.map { reference in
            do { return try serverGroup(reference, auth) } catch let error as NimbusError where error.code == .notFound {
                throw NimbusError.badRequest("Invalid server group: \(error.message)")
            }
        }
        var servers: [Server] = []
        var reservation: String?
        for index in 1...count {
            var server = Server(
                id: .generate(), name: count > 1 ? "\(name)-\(index)" : name, projectId: project, userId: auth.userId,
                imageId: image.id, flavor: flavor, now: Date())
            // One reservation for the whole request: the first server's.
            reservation = reservation ?? server.reservationId
            server.reservationId = reservation ?? server.reservationId
            server.launchIndex = index - 1
            server.description = request.description
            server.tags = request.tags
            server.metadata = request.metadata
            server.keyName = request.keyName
            server.keyData = keypair?.publicKey
            server.userData = request.userData
            server.configDrive = request.configDrive
                || ConfigDrive.implied(image: image, keyName: request.keyName, userData: request.userData)
            server.accessIpv4 = request.accessIpv4
            server.accessIpv6 = request.accessIpv6
            server.preservedPortIds = nics.compactMap { if case .port(let port) = $0 { port.id } else { nil } }
            server.disk = rootDisk
            server.imageOverrides = Self.imageOverrides(image: image, extraCDs: extraCDs)
            let discs = (image.diskFormat == "iso" ? [image.id] : []) + extraCDs.map(\.id)
            server.drives = discs.enumerated().map { CDDrive(id: "cd\($0.offset)", imageId: $0.element) }
            try record(server, flavor: flavor, nics: nics, securityGroups: groups, group: group, auth)
            servers.append(server)
            deliver(.scheduled, to: server.id)
        }
        return servers
    }

    /// A Windows installer whose SATA disk bus was Nimbus's default (its
    /// installer has no virtio driver) gets virtio when a virtio driver disc
    /// comes with it: the user loads the driver from that disc at install.
    static func imageOverrides(image: Image, extraCDs: [Image]) -> [String: String] {
        let defaulted = image.properties[InstallerProperties.defaults]?.split(separator: ",").contains("hw_disk_bus") == true
        guard defaulted, extraCDs.contains(where: { $0.properties[InstallerProperties.driverDisc] == "virtio-win" }) else { return [:] }
        return ["hw_disk_bus": "virtio"]
    }

    /// How many of `minCount...maxCount` servers the quota leaves room for.
    func instanceCount(_ request: CreateRequest, flavor: Flavor, project: ProjectID) throws -> Int {
        let limits = try quotas.limits(of: project)
        let usage = try store.quotaUsage(.compute, project: project)
        var count = request.maxCount
        while count > request.minCount,
              ProjectQuotas.excess(Self.demand(of: flavor, count: count), usage: usage, limits: limits) != nil {
            count -= 1
        }
        if let excess = ProjectQuotas.excess(Self.demand(of: flavor, count: count), usage: usage, limits: limits) {
            throw Self.quotaExceeded(excess)
        }
        return count
    }

    static func demand(of flavor: Flavor, count: Int) -> [String: Int] {
        ["instances": count, "cores": flavor.vcpus * count, "ram": flavor.ram * count]
    }

    /// Checks every `--nic` before anything is recorded. As in Nova, a missing
    /// network or port is a 400, a port bound elsewhere a 409, and a fixed IP
    /// or port cannot be shared by several servers of one request.
    func nicSources(_ requests: [NetworkRequest], count: Int, _ auth: AuthContext) throws -> [NICSource] {
        try requests.map { request in
            switch request {
            case .network(let reference, let fixedIP):
                if count > 1, fixedIP != nil {
                    throw NimbusError.badRequest("Unable to launch multiple instances with a single configured fixed IP.")
                }
                do {
                    return .network(try networks.usableNetwork(reference, auth), fixedIP: fixedIP)
                } catch let error as NimbusError where error.code == .notFound {
                    throw NimbusError.badRequest("Network \(reference) could not be found.")
                }
            case .port(let reference):
                if count > 1 {
                    throw NimbusError.badRequest("Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.")
                }
                let port: NetworkPort
                do { port = try networks.port(reference, auth) } catch let error as NimbusError where error.code == .notFound {
                    throw NimbusError.badRequest("Port id \(reference) could not be found.")
                }
                guard port.deviceId.isEmpty else { throw NimbusError.conflict("Port \(port.id) is still in use.") }
                return .port(port)
            }
        }
    }

    /// Records one server within the quota (checked again in the insert's
    /// transaction, so parallel requests cannot overshoot) and gives it its ports.
    func record(
        _ server: Server, flavor: Flavor, nics: [NICSource], securityGroups: [SecurityGroupID]?, group: ServerGroup?, _ auth: AuthContext
    ) throws {
        let limits = try quotas.limits(of: server.projectId)
        try store.insert(server, joining: group?.id) { usage, members in
            if let excess = ProjectQuotas.excess(Self.demand(of: flavor, count: 1), usage: usage, limits: limits) {
                throw Self.quotaExceeded(excess)
            }
            guard let group else { return }
            if let limit = limits["server_group_members"], limit >= 0, members >= limit {
                throw NimbusError(.overLimit, "Quota exceeded, too many servers in group")
            }
            guard group.admits(members: members) else {
                throw NimbusError.badRequest(
                    "Server group \(group.id) is anti-affinity and already has \(members) server(s), its most on one host; Nimbus is one host, so another cannot be placed apart.")
            }
        }
        do {
            for nic in nics {
                switch nic {
                case .network(let network, let fixedIP):
                    _ = try networks.allocatePort(
                        network: network.id, fixedIP: fixedIP, deviceID: server.id.rawValue, securityGroups: securityGroups,
                        project: server.projectId)
                case .port(let port):
                    _ = try networks.attachPort(port.id.rawValue, deviceID: server.id.rawValue, auth)
                }
            }
        } catch {
            // A refused address (taken, exhausted) refuses the create and leaves nothing.
            do {
                _ = try networks.releasePorts(deviceID: server.id.rawValue, project: server.projectId, preserving: Set(server.preservedPortIds))
                _ = try store.deleteServer(id: server.id)
            } catch let cleanup {
                logger.error("a refused create was not undone", metadata: ["server.id": "\(server.id)", "error": "\(cleanup)"])
            }
            if let fault = (error as? NimbusError)?.cause as? NeutronFault, fault.type == "OverQuota" {
                throw NimbusError(.overLimit, "Maximum number of ports exceeded")
            }
            throw error
        }
    }

    /// One address of a server: a port's fixed IP, or a floating IP forwarding to one.
    public struct ServerAddress: Sendable {
        public var address: String
        public var mac: String
        public var floating: Bool
    }

    /// What servers show of their networking: addresses by network name
    /// (each port's fixed IPs, each followed by its floating IP, as Nova
    /// lists them) and the names of their ports' security groups.
    public struct ServerNetworking: Sendable {
        public var addresses: [ServerID: [String: [ServerAddress]]] = [:]
        public var securityGroupNames: [ServerID: [String]] = [:]
    }

    /// The networking of a page of servers, read in a fixed number of
    /// queries however long the page is.
    public func networking(of servers: [Server]) throws -> ServerNetworking {
        let devices = try networks.devices(servers.map { ($0.id.rawValue, $0.projectId) })
        var result = ServerNetworking()
        for server in servers {
            let ports = devices.ports[server.id.rawValue] ?? []
            var addresses: [String: [ServerAddress]] = [:]
            for port in ports {
                let name = devices.networkNames[port.networkId] ?? port.networkId.rawValue
                for fixed in port.fixedIPs {
                    addresses[name, default: []].append(ServerAddress(address: fixed.ipAddress, mac: port.macAddress, floating: false))
                    for floating in devices.floatingIPs[port.id] ?? [] where floating.fixedIpAddress == fixed.ipAddress {
                        addresses[name, default: []].append(ServerAddress(address: floating.floatingIpAddress, mac: port.macAddress, floating: true))
                    }
                }
            }
            var seen = Set<SecurityGroupID>()
            let groups = ports.flatMap(\.securityGroupIds).filter { seen.insert($0).inserted }
            result.addresses[server.id] = addresses
            result.securityGroupNames[server.id] = groups.compactMap { devices.securityGroups[$0]?.name }
        }
        return result
    }

    /// One server's addresses by network name.
    public func addresses(_ server: Server) throws -> [String: [ServerAddress]] {
        try networking(of: [server]).addresses[server.id] ?? [:]
    }

    static func faultMessage(_ error: any Error) -> String {
        switch error {
        case let error as NimbusError: error.message
        case QEMUError.commandFailed(let command, _, let stderr): "\(command) failed: \(stderr)"
        case QEMUError.launchFailed(_, let reason): "QEMU could not be started: \(reason)"
        case ComputeError.snapshotFailed(let reason): "The disk could not be copied: \(reason)"
        case ComputeError.monitorRefused(let reason): "QEMU refused: \(reason)"
        default: "The virtual machine could not be started."
        }
    }
}
