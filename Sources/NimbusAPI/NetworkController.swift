import Foundation
import Hummingbird
import Logging
import Networking
import NimbusCore
import OpenStackAPI

/// Neutron v2.0 under /network: discovery, extensions, networks, subnets, ports,
/// and (in NetworkController+Access.swift) security groups and floating IPs.
struct NetworkController {
    let networks: NetworkService
    let baseURL: String
    let logger = Logger(label: "nimbus.api.network")

    func addRoutes(to router: Router<NimbusRequestContext>) {
        router.get("network") { _, _ in try JSONMessages.response(versions) }
        router.get("network/v2.0") { _, _ in try JSONMessages.response(resources) }

        let v2 = router.group("network/v2.0", context: AuthenticatedContext.self)
            .add(middleware: NeutronFaultMiddleware<AuthenticatedContext>())
        v2.get("extensions") { _, _ in
            try JSONMessages.response(["extensions": .array(Neutron.extensions.map { .object(Neutron.extension($0)) })] as [String: JSONValue])
        }
        v2.get("extensions/{alias}") { _, context in
            let alias = try context.parameters.require("alias")
            guard let found = Neutron.extensions.first(where: { $0.alias == alias }) else {
                throw NimbusError.notFound("Extension with alias \(alias) does not exist")
            }
            return try JSONMessages.response(["extension": .object(Neutron.extension(found))] as [String: JSONValue])
        }
        addNetworks(to: v2)
        addSubnets(to: v2)
        addPorts(to: v2)
        addSecurityGroups(to: v2)
        addFloatingIPs(to: v2)
        addRouters(to: v2)
        QuotaRoutes.addNeutron(networks.quotas, to: v2)
    }

    /// POST of one resource (201 with it), or of several in Neutron's bulk form
    /// (201 with all of them). A bulk create is all or nothing: when one item
    /// is refused, those already made are deleted again and the refusal is the answer.
    func create<Resource>(
        _ request: Request, resource: String, collection: String, render: (Resource) throws -> [String: JSONValue],
        undo: (Resource) throws -> Void, make: (NeutronBody) throws -> Resource
    ) async throws -> Response {
        let (bodies, bulk) = try await NeutronBody.creates(request, resource: resource, collection: collection)
        var made: [Resource] = []
        do {
            for body in bodies { made.append(try make(body)) }
        } catch {
            for resource in made.reversed() {
                do { try undo(resource) } catch let undoError {
                    logger.error("bulk create: could not delete a \(resource) made before the refusal", metadata: ["error": "\(undoError)"])
                }
            }
            throw error
        }
        let objects = try made.map { JSONValue.object(try render($0)) }
        let body: [String: JSONValue] = bulk ? [collection: .array(objects)] : [resource: objects[0]]
        return try JSONMessages.response(body, status: .created)
    }

    var versions: [String: JSONValue] {
        ["versions": [["id": "v2.0", "status": "CURRENT", "links": [["href": .string("\(baseURL)/network/v2.0/"), "rel": "self"]]]]]
    }

    /// GET /v2.0: the collections, as Neutron lists them.
    var resources: [String: JSONValue] {
        let names = [
            ("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("security_group", "security-groups"),
            ("security_group_rule", "security-group-rules"), ("floatingip", "floatingips"), ("router", "routers"),
        ]
        return ["resources": .array(names.map { name, collection in
            ["name": .string(name), "collection": .string(collection),
             "links": [["href": .string("\(baseURL)/network/v2.0/\(collection)"), "rel": "self"]]]
        })]
    }

    func addNetworks(to v2: RouterGroup<AuthenticatedContext>) {
        v2.get("networks") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.networks(query.service, context.auth)
            return try query.listResponse("networks", found.map(Neutron.network), baseURL: baseURL)
        }
        v2.post("networks") { request, context in
            try await create(request, resource: "network", collection: "networks", render: Neutron.network,
                             undo: { try networks.deleteNetwork($0.id.rawValue, context.auth) }) { body in
                try networks.createNetwork(try body.networkDraft(), context.auth)
            }
        }
        v2.get("networks/{id}") { request, context in
            let network = try networks.network(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("network", Neutron.network(network))
        }
        v2.put("networks/{id}") { request, context in
            let body = try await NeutronBody(request, resource: "network")
            let network = try networks.updateNetwork(try context.parameters.require("id"), try body.networkChanges(), context.auth)
            return try JSONMessages.response(["network": .object(Neutron.network(network))] as [String: JSONValue])
        }
        v2.delete("networks/{id}") { _, context in
            try networks.deleteNetwork(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }

    func addSubnets(to v2: RouterGroup<AuthenticatedContext>) {
        @Sendable func render(_ subnet: Subnet) throws -> [String: JSONValue] {
            Neutron.subnet(subnet, external: try networks.externalNetworkIDs().contains(subnet.networkId))
        }
        v2.get("subnets") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.subnets(query.service, context.auth)
            let external = try networks.externalNetworkIDs()
            return try query.listResponse("subnets", found.map { Neutron.subnet($0, external: external.contains($0.networkId)) }, baseURL: baseURL)
        }
        v2.post("subnets") { request, context in
            try await create(request, resource: "subnet", collection: "subnets", render: render,
                             undo: { try networks.deleteSubnet($0.id.rawValue, context.auth) }) { body in
                try networks.createSubnet(try body.subnetDraft(), context.auth)
            }
        }
        v2.get("subnets/{id}") { request, context in
            let subnet = try networks.subnet(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("subnet", try render(subnet))
        }
        v2.put("subnets/{id}") { request, context in
            let body = try await NeutronBody(request, resource: "subnet")
            let subnet = try networks.updateSubnet(try context.parameters.require("id"), try body.subnetChanges(), context.auth)
            return try JSONMessages.response(["subnet": .object(try render(subnet))] as [String: JSONValue])
        }
        v2.delete("subnets/{id}") { _, context in
            try networks.deleteSubnet(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }

    func addPorts(to v2: RouterGroup<AuthenticatedContext>) {
        v2.get("ports") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.ports(query.service, context.auth)
            return try query.listResponse("ports", found.map(Neutron.port), baseURL: baseURL)
        }
        v2.post("ports") { request, context in
            try await create(request, resource: "port", collection: "ports", render: Neutron.port,
                             undo: { try networks.deletePort($0.id.rawValue, context.auth) }) { body in
                try networks.createPort(try body.portDraft(), context.auth)
            }
        }
        v2.get("ports/{id}") { request, context in
            let port = try networks.port(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("port", Neutron.port(port))
        }
        v2.put("ports/{id}") { request, context in
            let body = try await NeutronBody(request, resource: "port")
            let port = try networks.updatePort(try context.parameters.require("id"), try body.portChanges(), context.auth)
            return try JSONMessages.response(["port": .object(Neutron.port(port))] as [String: JSONValue])
        }
        v2.delete("ports/{id}") { _, context in
            try networks.deletePort(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }
}
