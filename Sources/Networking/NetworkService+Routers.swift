import Foundation
import Identity
import NimbusCore
import NimbusStore

/// Routers, as Neutron's L3 API has them: a gateway on an external network
/// and interfaces on subnets. A floating IP reaches a port only through a
/// router joining the port's subnet to the floating IP's network (see
/// `associationTarget`), and the router's parts stay while floating IPs use them.
extension NetworkService {
    /// A checked gateway request.
    struct GatewayPlan {
        let network: Network
        let info: GatewayInfo
    }

    public func createRouter(_ draft: RouterDraft, _ auth: AuthContext) throws -> NetworkRouter {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        var router = NetworkRouter(
            id: .generate(), projectId: owner, name: try Self.text(draft.name, "name"),
            description: try Self.text(draft.description, "description"), adminStateUp: draft.adminStateUp, now: Date())
        let gateway = try draft.gateway.map { try gatewayPlan($0, rule: "create_router", auth) }
        if let gateway {
            router.gatewayNetworkId = gateway.network.id
            router.enableSnat = gateway.info.enableSnat ?? true
        }
        try checkQuota("router", project: owner)
        try store.insert(router) { editor in
            if let gateway { try addGatewayPort(gateway, to: router, editor) }
        }
        logger.info("router created", metadata: [
            "router.id": "\(router.id)", "project.id": "\(owner)", "gateway": "\(router.gatewayNetworkId?.rawValue ?? "-")",
        ])
        return router
    }

    /// A router of the caller's project (an admin's: any); anything else is 404.
    public func router(_ id: String, _ auth: AuthContext) throws -> NetworkRouter {
        try projectResource(id, auth, fetch: store.router(id:), owner: \.projectId, notFound: Fault.routerNotFound)
    }

    public func routers(_ query: ListQuery, _ auth: AuthContext) throws -> [NetworkRouter] {
        let project = try Policy.requireProjectReader(auth)
        return try query.page(Policy.isAdmin(auth) ? nil : project, store.routers)
    }

    /// The gateway and interface ports of routers the caller already holds, in one read: for rendering them.
    public func routerPorts(of routers: [NetworkRouter]) throws -> [RouterID: [NetworkPort]] {
        try store.routerPorts(routers.map(\.id))
    }

    public func updateRouter(_ id: String, _ changes: RouterChanges, _ auth: AuthContext) throws -> NetworkRouter {
        let current = try modifiableRouter(id, rule: "update_router", auth)
        let name = try changes.name.map { try Self.text($0, "name") }
        let description = try changes.description.map { try Self.text($0, "description") }
        var gateway: GatewayPlan??
        if case .some(let info) = changes.gateway {
            gateway = .some(try info.map { try gatewayPlan($0, rule: "update_router", auth) })
        }
        let result = try store.editRouter(id: current.id) { router, editor in
            if case .some(let plan) = gateway { try changeGateway(of: &router, to: plan, editor) }
            if let name { router.name = name }
            if let description { router.description = description }
            if let up = changes.adminStateUp { router.adminStateUp = up }
            router.revisionNumber += 1
            router.updatedAt = Date()
        }
        guard let result else { throw Fault.routerNotFound(id) }
        if result.router.gatewayNetworkId != current.gatewayNetworkId {
            logger.info("router gateway changed", metadata: [
                "router.id": "\(current.id)", "gateway": "\(result.router.gatewayNetworkId?.rawValue ?? "-")",
            ])
        }
        return result.router
    }

    /// Deletes a router and its gateway; refused while it has interfaces, as in Neutron.
    public func deleteRouter(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiableRouter(id, rule: "delete_router", auth)
        let deleted = try store.deleteRouter(id: current.id) { router, ports in
            if ports.contains(where: { $0.deviceOwner != NetworkRouter.gatewayOwner }) {
                throw Fault.make(.conflict, "RouterInUse", "NetworkRouter \(router.id) still has ports")
            }
        }
        guard deleted != nil else { throw Fault.routerNotFound(id) }
        logger.info("router deleted", metadata: ["router.id": "\(current.id)"])
    }

    // MARK: Interfaces

    /// Adds an interface: a new port holding the subnet's gateway address, or
    /// the caller's unused port. One subnet, and no overlapping ones, per router.
    public func addRouterInterface(_ id: String, _ request: RouterInterfaceRequest, _ auth: AuthContext) throws -> RouterInterface {
        let current = try modifiableRouter(id, rule: "add_router_interface", auth)
        let result: (router: NetworkRouter, result: NetworkPort)?
        switch (request.subnetId, request.portId) {
        case (nil, nil):
            throw Self.badRouterRequest("Either subnet_id or port_id must be specified")
        case (.some, .some):
            throw Self.badRouterRequest("Cannot specify both subnet-id and port-id")
        case (let subnetText?, nil):
            let subnet = try self.subnet(subnetText, auth)
            _ = try interfaceNetwork(subnet.networkId, auth)
            guard let gatewayIP = subnet.gatewayIP else {
                throw Self.badRouterRequest("Subnet \(subnet.id) does not have a gateway IP")
            }
            result = try store.editRouter(id: current.id) { router, editor in
                try Self.checkNewInterface(on: [subnet], of: router, editor)
                let inserted = try Self.insertInterface(on: subnet, gatewayIP: gatewayIP, of: router, editor)
                router.revisionNumber += 1
                router.updatedAt = Date()
                return inserted
            }
        case (nil, let portText?):
            let visible = try port(portText, auth)
            let network = try interfaceNetwork(visible.networkId, auth)
            guard NetworkPolicy.mayModify(visible, on: network, auth) else {
                throw Fault.policy("add_router_interface", "port \(visible.id) belongs to another project")
            }
            result = try store.editRouter(id: current.id) { router, editor in
                guard var port = try editor.port(id: visible.id) else { throw Fault.portNotFound(portText) }
                guard port.deviceId.isEmpty else {
                    throw Fault.make(.conflict, "PortInUse",
                                     "Unable to complete operation on port \(port.id) for network \(port.networkId). Port already has an attached device \(port.deviceId).")
                }
                guard !port.fixedIPs.isEmpty else { throw Self.badRouterRequest("NetworkRouter port must have at least one fixed IP") }
                let subnets = try port.fixedIPs.compactMap { try editor.subnet(id: $0.subnetId) }
                try Self.checkNewInterface(on: subnets, of: router, editor)
                port.deviceId = router.id.rawValue
                port.deviceOwner = NetworkRouter.interfaceOwner
                port.status = .active
                port.revisionNumber += 1
                port.updatedAt = Date()
                try editor.savePort(port)
                router.revisionNumber += 1
                router.updatedAt = Date()
                return port
            }
        }
        guard let result else { throw Fault.routerNotFound(id) }
        logger.info("router interface added", metadata: [
            "router.id": "\(current.id)", "port.id": "\(result.result.id)", "ips": "\(result.result.fixedIPs.map(\.ipAddress))",
        ])
        return RouterInterface(router: result.router, port: result.result)
    }

    /// Removes an interface, by its port or its subnet, and deletes its port
    /// (Neutron does both). Refused while a floating IP reaches that subnet through it.
    public func removeRouterInterface(_ id: String, _ request: RouterInterfaceRequest, _ auth: AuthContext) throws -> RouterInterface {
        let current = try modifiableRouter(id, rule: "remove_router_interface", auth)
        guard request.subnetId != nil || request.portId != nil else {
            throw Self.badRouterRequest("Either subnet_id or port_id must be specified")
        }
        let result = try store.editRouter(id: current.id) { router, editor in
            let interfaces = try editor.interfaces()
            let port: NetworkPort
            if let portText = request.portId {
                guard let found = interfaces.first(where: { $0.id.rawValue == portText }) else {
                    throw Fault.make(.notFound, "RouterInterfaceNotFound", "NetworkRouter \(router.id) does not have an interface with id \(portText)")
                }
                if let subnetText = request.subnetId, !found.fixedIPs.contains(where: { $0.subnetId.rawValue == subnetText }) {
                    throw Fault.make(.conflict, "SubnetMismatchForPort",
                                     "Subnet on port \(found.id) does not match the requested subnet \(subnetText).")
                }
                port = found
            } else {
                let subnetText = request.subnetId ?? ""
                guard let found = interfaces.first(where: { $0.fixedIPs.contains { $0.subnetId.rawValue == subnetText } }) else {
                    throw Fault.make(.notFound, "RouterInterfaceNotFoundForSubnet", "NetworkRouter \(router.id) has no interface on subnet \(subnetText)")
                }
                port = found
            }
            let floatingIPs = try editor.floatingIPs()
            for subnet in try port.fixedIPs.compactMap({ try editor.subnet(id: $0.subnetId) }) {
                guard let range = IPv4Subnet(subnet.cidr) else { continue }
                let reached = floatingIPs.contains { _, addresses in
                    addresses.contains { IPv4Address($0).map(range.contains) == true }
                }
                if reached {
                    throw Fault.make(.conflict, "RouterInterfaceInUseByFloatingIP",
                                     "NetworkRouter interface for subnet \(subnet.id) on router \(router.id) cannot be deleted, as it is required by one or more floating IPs.")
                }
            }
            try editor.deletePort(id: port.id)
            router.revisionNumber += 1
            router.updatedAt = Date()
            return port
        }
        guard let result else { throw Fault.routerNotFound(id) }
        logger.info("router interface removed", metadata: ["router.id": "\(current.id)", "port.id": "\(result.result.id)"])
        return RouterInterface(router: result.router, port: result.result)
    }

    // MARK: Rules

    func modifiableRouter(_ id: String, rule: String, _ auth: AuthContext) throws -> NetworkRouter {
        let router = try self.router(id, auth)
        guard NetworkPolicy.mayModify(owner: router.projectId, auth) else {
            throw Fault.policy(rule, "router \(router.id) belongs to another project")
        }
        return router
    }

    /// The external network a gateway may be on; SNAT and addresses are the admin's to choose.
    func gatewayPlan(_ info: GatewayInfo, rule: String, _ auth: AuthContext) throws -> GatewayPlan {
        let network = try self.network(info.networkId, auth)
        guard network.external else { throw Self.badRouterRequest("Network \(network.id) is not an external network") }
        if info.enableSnat != nil {
            try NetworkPolicy.requireAdmin("\(rule):external_gateway_info:enable_snat", "only admins may choose SNAT", auth)
        }
        if info.externalFixedIPs != nil {
            try NetworkPolicy.requireAdmin(
                "\(rule):external_gateway_info:external_fixed_ips", "only admins may choose a gateway's addresses", auth)
        }
        return GatewayPlan(network: network, info: info)
    }

    /// Replaces the gateway's port, unless only SNAT changes on the same network;
    /// refused while floating IPs of the old network go through this router.
    func changeGateway(of router: inout NetworkRouter, to plan: GatewayPlan?, _ editor: RouterEditor) throws {
        let gatewayPorts = try editor.ports().filter { $0.deviceOwner == NetworkRouter.gatewayOwner }
        if let plan, plan.network.id == router.gatewayNetworkId, plan.info.externalFixedIPs == nil, !gatewayPorts.isEmpty {
            if let snat = plan.info.enableSnat { router.enableSnat = snat }
            return
        }
        if let old = router.gatewayNetworkId, plan?.network.id != old,
           try editor.floatingIPs().contains(where: { $0.floatingIP.floatingNetworkId == old }) {
            throw Fault.make(.conflict, "RouterExternalGatewayInUseByFloatingIp",
                             "Gateway cannot be updated for router \(router.id), since a gateway to external network \(old) is required by one or more floating IPs.")
        }
        for port in gatewayPorts { try editor.deletePort(id: port.id) }
        router.gatewayNetworkId = plan?.network.id
        router.enableSnat = plan?.info.enableSnat ?? true
        if let plan { try addGatewayPort(plan, to: router, editor) }
    }

    /// The gateway's port on the external network, with the addresses asked
    /// for or the first free one. As in Neutron it belongs to no project:
    /// admins see it, the router's project sees its router's
    /// `external_gateway_info`, and it counts against no one's port quota.
    func addGatewayPort(_ plan: GatewayPlan, to router: NetworkRouter, _ editor: RouterEditor) throws {
        var port = NetworkPort(
            id: .generate(), networkId: plan.network.id, projectId: ProjectID(rawValue: ""), macAddress: Self.randomMAC(),
            deviceId: router.id.rawValue, deviceOwner: NetworkRouter.gatewayOwner, now: Date())
        port.status = .active
        let inserted = try editor.insertPort(port) { port, book in
            try Self.assignMAC(&port, requested: nil, book)
            var allocator = AddressAllocator(network: plan.network.id, subnets: book.subnets, taken: book.taken, mayChooseAddresses: true)
            port.fixedIPs = try allocator.choose(plan.info.externalFixedIPs)
            guard !port.fixedIPs.isEmpty else {
                throw Self.badRouterRequest("No subnets defined on external network \(plan.network.id)")
            }
        }
        guard inserted != nil else { throw Fault.networkNotFound(plan.network.id.rawValue) }
    }

    /// A new interface port holding the subnet's gateway address.
    static func insertInterface(on subnet: Subnet, gatewayIP: String, of router: NetworkRouter, _ editor: RouterEditor) throws -> NetworkPort {
        var port = NetworkPort(
            id: .generate(), networkId: subnet.networkId, projectId: router.projectId, macAddress: randomMAC(),
            deviceId: router.id.rawValue, deviceOwner: NetworkRouter.interfaceOwner, now: Date())
        port.status = .active
        let inserted = try editor.insertPort(port) { port, book in
            try assignMAC(&port, requested: nil, book)
            guard !book.taken.contains(gatewayIP) else { throw Fault.addressInUse(gatewayIP, subnet.id) }
            port.fixedIPs = [FixedIP(subnetId: subnet.id, ipAddress: gatewayIP)]
        }
        guard let inserted else { throw Fault.networkNotFound(subnet.networkId.rawValue) }
        return inserted
    }

    /// An interface's network: one the caller owns, or a shared one; never an external one.
    func interfaceNetwork(_ id: NetworkID, _ auth: AuthContext) throws -> Network {
        guard let network = try store.network(id: id) else { throw Fault.networkNotFound(id.rawValue) }
        guard NetworkPolicy.ownsNetwork(network, auth) || network.shared else {
            throw Fault.policy("add_router_interface", "network \(network.id) belongs to another project")
        }
        if network.external {
            throw Self.badRouterRequest("Network \(network.id) is external; it can only be a router's gateway")
        }
        return network
    }

    /// A router reaches each subnet through one interface; subnets that overlap would make the route ambiguous.
    static func checkNewInterface(on subnets: [Subnet], of router: NetworkRouter, _ editor: RouterEditor) throws {
        for existing in try editor.interfaces() {
            for fixed in existing.fixedIPs {
                guard let attached = try editor.subnet(id: fixed.subnetId) else { continue }
                for subnet in subnets {
                    if subnet.id == attached.id {
                        throw badRouterRequest("NetworkRouter already has a port on subnet \(subnet.id)")
                    }
                    if let a = IPv4Subnet(subnet.cidr), let b = IPv4Subnet(attached.cidr), a.overlaps(b) {
                        throw badRouterRequest(
                            "Cidr \(subnet.cidr) of subnet \(subnet.id) overlaps with cidr \(attached.cidr) of subnet \(attached.id)")
                    }
                }
            }
        }
    }

    static func badRouterRequest(_ message: String) -> NimbusError {
        Fault.make(.badRequest, "BadRequest", "Bad router request: \(message).")
    }
}
