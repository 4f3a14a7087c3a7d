import Foundation
import Hummingbird
import Networking
import NimbusCore
import OpenStackAPI

/// Neutron's routers: CRUD and add/remove_router_interface.
extension NetworkController {
    func addRouters(to v2: RouterGroup<AuthenticatedContext>) {
        @Sendable func render(_ routers: [NetworkRouter]) throws -> [[String: JSONValue]] {
            let ports = try networks.routerPorts(of: routers)
            return routers.map { Neutron.router($0, ports: ports[$0.id] ?? []) }
        }
        @Sendable func render(_ router: NetworkRouter) throws -> [String: JSONValue] {
            try render([router])[0]
        }
        v2.get("routers") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.routers(query.service, context.auth)
            return try query.listResponse("routers", try render(found), baseURL: baseURL)
        }
        v2.post("routers") { request, context in
            let body = try await NeutronBody(request, resource: "router")
            let router = try networks.createRouter(try body.routerDraft(), context.auth)
            return try JSONMessages.response(["router": .object(try render(router))] as [String: JSONValue], status: .created)
        }
        v2.get("routers/{id}") { request, context in
            let router = try networks.router(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("router", try render(router))
        }
        v2.put("routers/{id}") { request, context in
            let body = try await NeutronBody(request, resource: "router")
            let router = try networks.updateRouter(try context.parameters.require("id"), try body.routerChanges(), context.auth)
            return try JSONMessages.response(["router": .object(try render(router))] as [String: JSONValue])
        }
        v2.delete("routers/{id}") { _, context in
            try networks.deleteRouter(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v2.put("routers/{id}/add_router_interface") { request, context in
            let interface = try networks.addRouterInterface(
                try context.parameters.require("id"), try await Self.interfaceRequest(request), context.auth)
            return try JSONMessages.response(Neutron.routerInterface(router: interface.router, port: interface.port))
        }
        v2.put("routers/{id}/remove_router_interface") { request, context in
            let interface = try networks.removeRouterInterface(
                try context.parameters.require("id"), try await Self.interfaceRequest(request), context.auth)
            return try JSONMessages.response(Neutron.routerInterface(router: interface.router, port: interface.port))
        }
    }

    /// `{"subnet_id": …}` or `{"port_id": …}`, not wrapped in a resource name.
    static func interfaceRequest(_ request: Request) async throws -> NetworkService.RouterInterfaceRequest {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        func id(_ key: String) throws -> String? {
            switch body[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            case let other?: throw NimbusError.badRequest("Invalid input for \(key). Reason: a \(other.typeName) is not a valid UUID.")
            }
        }
        return .init(subnetId: try id("subnet_id"), portId: try id("port_id"))
    }
}

extension NeutronBody {
    func routerDraft() throws -> NetworkService.RouterDraft {
        try check(allowed: ["name", "description", "admin_state_up", "external_gateway_info", "project_id", "tenant_id"])
        var draft = NetworkService.RouterDraft()
        if let name = try string("name") { draft.name = name }
        if let description = try string("description") { draft.description = description }
        if let up = try bool("admin_state_up") { draft.adminStateUp = up }
        draft.gateway = try gatewayInfo() ?? nil
        draft.projectId = try project()
        return draft
    }

    /// `routes` is accepted only empty: Nimbus does not offer extra routes.
    func routerChanges() throws -> NetworkService.RouterChanges {
        try check(allowed: ["name", "description", "admin_state_up", "external_gateway_info", "routes"])
        if let routes = attributes["routes"], routes != .null, routes != .array([]) {
            throw NimbusError.badRequest("Invalid input for routes. Reason: extra routes are not supported (no 'extraroute' extension).")
        }
        var changes = NetworkService.RouterChanges()
        changes.name = try string("name")
        changes.description = try string("description")
        changes.adminStateUp = try bool("admin_state_up")
        changes.gateway = try gatewayInfo()
        return changes
    }

    /// `external_gateway_info`: nil when absent, `.some(nil)` when null or
    /// `{}` (no gateway), else the gateway asked for.
    func gatewayInfo() throws -> NetworkService.GatewayInfo?? {
        switch attributes["external_gateway_info"] {
        case nil: return nil
        case .null?: return .some(nil)
        case .object(let info)? where info.isEmpty: return .some(nil)
        case .object(let info)?:
            let allowed: Set<String> = ["network_id", "enable_snat", "external_fixed_ips"]
            guard Set(info.keys).isSubset(of: allowed), case .string(let network)? = info["network_id"] else {
                throw NimbusError.badRequest(
                    "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Optional keys: {'enable_snat', 'external_fixed_ips'} Provided keys: {\(info.keys.sorted().map { "'\($0)'" }.joined(separator: ", "))}.")
            }
            var gateway = NetworkService.GatewayInfo(networkId: network)
            let inner = NeutronBody(resource: resource, attributes: info)
            gateway.enableSnat = try inner.bool("enable_snat")
            gateway.externalFixedIPs = try inner.objects("external_fixed_ips", keys: ["subnet_id", "ip_address"], required: [])?.map {
                NetworkService.FixedIPRequest(subnetId: $0["subnet_id"], ipAddress: $0["ip_address"])
            }
            return .some(gateway)
        case let other?:
            throw invalid("external_gateway_info", other, "is not a dictionary")
        }
    }
}
