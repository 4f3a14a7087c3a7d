import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// Regions, services, endpoints and OS-EP-FILTER's endpoint groups.
extension IdentityController {
    func addCatalog(to router: RouterGroup<AuthenticatedContext>) {
        router.get("auth/catalog") { _, context in
            try JSONMessages.response(["catalog": try tokenCatalog(context.auth)])
        }
        addRegions(to: router)
        addServices(to: router)
        addEndpoints(to: router)
        addEndpointGroups(to: router)
    }

    /// The catalog a token carries.
    func tokenCatalog(_ auth: AuthContext) throws -> [Keystone.CatalogEntry] {
        try identity.catalog(for: auth).map { entry in
            Keystone.CatalogEntry(
                id: entry.service.id.rawValue, type: entry.service.type, name: entry.service.name ?? "",
                endpoints: entry.endpoints.map { endpoint in
                    Keystone.Endpoint(
                        id: endpoint.id.rawValue, interface: endpoint.interface, region: endpoint.regionId,
                        regionId: endpoint.regionId, url: endpoint.url)
                })
        }
    }

    // MARK: Regions

    private func addRegions(to router: RouterGroup<AuthenticatedContext>) {
        router.get("regions") { request, _ in
            let regions = try identity.regions(parentRegionId: QueryParameters.first(request)["parent_region_id"])
            return try JSONMessages.response(["regions": .array(regions.map(render)), "links": links("regions")] as [String: JSONValue])
        }
        router.post("regions") { request, context in
            let body = try await entity("region", from: request)
            let region = try identity.createRegion(
                id: try string(body, "id"), description: try string(body, "description"),
                parentRegionId: try string(body, "parent_region_id"), context.auth)
            return try JSONMessages.response(["region": render(region)], status: .created)
        }
        // PUT makes a region with the id the caller chose.
        router.put("regions/{region}") { request, context in
            let body = try await entity("region", from: request)
            let id = try context.parameters.require("region")
            if let other = try string(body, "id"), other != id {
                throw NimbusError.badRequest("The region id in the body (\(other)) differs from the one in the URL (\(id)).")
            }
            let region = try identity.createRegion(
                id: id, description: try string(body, "description"), parentRegionId: try string(body, "parent_region_id"), context.auth)
            return try JSONMessages.response(["region": render(region)], status: .created)
        }
        router.get("regions/{region}") { _, context in
            try JSONMessages.response(["region": render(try identity.region(try context.parameters.require("region")))])
        }
        router.patch("regions/{region}") { request, context in
            let body = try await entity("region", from: request)
            let parent: String?? = body.keys.contains("parent_region_id") ? .some(try string(body, "parent_region_id")) : nil
            let region = try identity.updateRegion(
                try context.parameters.require("region"), description: try string(body, "description"), parentRegionId: parent, context.auth)
            return try JSONMessages.response(["region": render(region)])
        }
        router.delete("regions/{region}") { _, context in
            try identity.deleteRegion(try context.parameters.require("region"), context.auth)
            return Response(status: .noContent)
        }
    }

    func render(_ region: Region) -> JSONValue {
        [
            "id": .string(region.id), "description": .string(region.description),
            "parent_region_id": region.parentRegionId.map(JSONValue.string) ?? .null,
            "links": ["self": .string("\(baseURL)/identity/v3/regions/\(region.id)")],
        ]
    }

    // MARK: Services

    private func addServices(to router: RouterGroup<AuthenticatedContext>) {
        router.get("services") { request, context in
            let query = QueryParameters.first(request)
            let services = try identity.services(type: query["type"], name: query["name"], context.auth)
            return try JSONMessages.response(["services": .array(services.map(render)), "links": links("services")] as [String: JSONValue])
        }
        router.post("services") { request, context in
            let service = try identity.createService(try serviceChanges(try await entity("service", from: request)), context.auth)
            return try JSONMessages.response(["service": render(service)], status: .created)
        }
        router.get("services/{service}") { _, context in
            try JSONMessages.response(["service": render(try identity.service(try context.parameters.require("service"), context.auth))])
        }
        router.patch("services/{service}") { request, context in
            let changes = try serviceChanges(try await entity("service", from: request))
            let service = try identity.updateService(try context.parameters.require("service"), changes, context.auth)
            return try JSONMessages.response(["service": render(service)])
        }
        router.delete("services/{service}") { _, context in
            try identity.deleteService(try context.parameters.require("service"), context.auth)
            return Response(status: .noContent)
        }
    }

    func serviceChanges(_ body: [String: JSONValue]) throws -> IdentityService.ServiceChanges {
        let known: Set<String> = ["id", "type", "name", "description", "enabled", "links"]
        return IdentityService.ServiceChanges(
            type: try string(body, "type"), name: try string(body, "name"), description: try string(body, "description"),
            enabled: try bool(body, "enabled"), extra: body.filter { !known.contains($0.key) })
    }

    func render(_ service: CatalogService) -> JSONValue {
        var fields = service.extra
        fields["id"] = .string(service.id.rawValue)
        fields["type"] = .string(service.type)
        if let name = service.name { fields["name"] = .string(name) }
        if let description = service.description { fields["description"] = .string(description) }
        fields["enabled"] = .bool(service.enabled)
        fields["links"] = ["self": .string("\(baseURL)/identity/v3/services/\(service.id)")]
        return .object(fields)
    }

    // MARK: Endpoints

    private func addEndpoints(to router: RouterGroup<AuthenticatedContext>) {
        router.get("endpoints") { request, context in
            let query = QueryParameters.first(request)
            let endpoints = try identity.endpoints(
                serviceId: query["service_id"], interface: query["interface"], regionId: query["region_id"], context.auth)
            return try JSONMessages.response(["endpoints": .array(endpoints.map(render)), "links": links("endpoints")] as [String: JSONValue])
        }
        router.post("endpoints") { request, context in
            let endpoint = try identity.createEndpoint(try endpointChanges(try await entity("endpoint", from: request)), context.auth)
            return try JSONMessages.response(["endpoint": render(endpoint)], status: .created)
        }
        router.get("endpoints/{endpoint}") { _, context in
            try JSONMessages.response(["endpoint": render(try identity.endpoint(try context.parameters.require("endpoint"), context.auth))])
        }
        router.patch("endpoints/{endpoint}") { request, context in
            let changes = try endpointChanges(try await entity("endpoint", from: request))
            let endpoint = try identity.updateEndpoint(try context.parameters.require("endpoint"), changes, context.auth)
            return try JSONMessages.response(["endpoint": render(endpoint)])
        }
        router.delete("endpoints/{endpoint}") { _, context in
            try identity.deleteEndpoint(try context.parameters.require("endpoint"), context.auth)
            return Response(status: .noContent)
        }
    }

    func endpointChanges(_ body: [String: JSONValue]) throws -> IdentityService.EndpointChanges {
        IdentityService.EndpointChanges(
            serviceId: try string(body, "service_id"), interface: try string(body, "interface"), url: try string(body, "url"),
            regionId: try string(body, "region_id"), legacyRegion: try string(body, "region"), enabled: try bool(body, "enabled"))
    }

    func render(_ endpoint: ServiceEndpoint) -> JSONValue {
        let region = endpoint.regionId.map(JSONValue.string) ?? .null
        return [
            "id": .string(endpoint.id.rawValue), "service_id": .string(endpoint.serviceId.rawValue),
            "interface": .string(endpoint.interface), "region_id": region, "region": region, "url": .string(endpoint.url),
            "enabled": .bool(endpoint.enabled), "links": ["self": .string("\(baseURL)/identity/v3/endpoints/\(endpoint.id)")],
        ]
    }

    // MARK: Endpoint groups and project associations (OS-EP-FILTER)

    private func addEndpointGroups(to router: RouterGroup<AuthenticatedContext>) {
        let groups = "OS-EP-FILTER/endpoint_groups"
        router.get(.init(groups)) { request, context in
            let found = try identity.endpointGroups(name: QueryParameters.first(request)["name"], context.auth)
            return try JSONMessages.response(["endpoint_groups": .array(found.map(render)), "links": links(groups)] as [String: JSONValue])
        }
        router.post(.init(groups)) { request, context in
            let body = try await entity("endpoint_group", from: request)
            let group = try identity.createEndpointGroup(
                name: try string(body, "name"), description: try string(body, "description"), filters: try filters(body), context.auth)
            return try JSONMessages.response(["endpoint_group": render(group)], status: .created)
        }
        router.get(.init("\(groups)/{group}")) { _, context in
            try JSONMessages.response(["endpoint_group": render(try identity.endpointGroup(try context.parameters.require("group"), context.auth))])
        }
        router.head(.init("\(groups)/{group}")) { _, context in
            _ = try identity.endpointGroup(try context.parameters.require("group"), context.auth)
            return Response(status: .ok)
        }
        router.patch(.init("\(groups)/{group}")) { request, context in
            let body = try await entity("endpoint_group", from: request)
            let group = try identity.updateEndpointGroup(
                try context.parameters.require("group"), name: try string(body, "name"), description: try string(body, "description"),
                filters: try filters(body), context.auth)
            return try JSONMessages.response(["endpoint_group": render(group)])
        }
        router.delete(.init("\(groups)/{group}")) { _, context in
            try identity.deleteEndpointGroup(try context.parameters.require("group"), context.auth)
            return Response(status: .noContent)
        }
        router.get(.init("\(groups)/{group}/endpoints")) { _, context in
            let endpoints = try identity.endpoints(in: try context.parameters.require("group"), context.auth)
            return try JSONMessages.response(["endpoints": .array(endpoints.map(render))] as [String: JSONValue])
        }
        router.get(.init("\(groups)/{group}/projects")) { _, context in
            try projectList(try identity.projects(inEndpointGroup: try context.parameters.require("group"), context.auth))
        }
        router.put(.init("\(groups)/{group}/projects/{project}")) { _, context in
            try identity.associate(
                endpointGroup: try context.parameters.require("group"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.get(.init("\(groups)/{group}/projects/{project}")) { _, context in
            let project = try identity.checkAssociation(
                endpointGroup: try context.parameters.require("group"), project: try context.parameters.require("project"), context.auth)
            return try JSONMessages.response(["project": Keystone.ProjectBody(project, baseURL: baseURL)])
        }
        router.head(.init("\(groups)/{group}/projects/{project}")) { _, context in
            _ = try identity.checkAssociation(
                endpointGroup: try context.parameters.require("group"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .ok)
        }
        router.delete(.init("\(groups)/{group}/projects/{project}")) { _, context in
            try identity.dissociate(
                endpointGroup: try context.parameters.require("group"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.get("OS-EP-FILTER/projects/{project}/endpoint_groups") { _, context in
            let found = try identity.endpointGroups(givenTo: try context.parameters.require("project"), context.auth)
            return try JSONMessages.response(["endpoint_groups": .array(found.map(render))] as [String: JSONValue])
        }
        router.get("OS-EP-FILTER/projects/{project}/endpoints") { _, context in
            let endpoints = try identity.endpoints(givenTo: try context.parameters.require("project"), context.auth)
            return try JSONMessages.response(["endpoints": .array(endpoints.map(render))] as [String: JSONValue])
        }
        router.put("OS-EP-FILTER/projects/{project}/endpoints/{endpoint}") { _, context in
            try identity.associate(
                endpoint: try context.parameters.require("endpoint"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.head("OS-EP-FILTER/projects/{project}/endpoints/{endpoint}") { _, context in
            try identity.checkAssociation(
                endpoint: try context.parameters.require("endpoint"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.get("OS-EP-FILTER/projects/{project}/endpoints/{endpoint}") { _, context in
            try identity.checkAssociation(
                endpoint: try context.parameters.require("endpoint"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.delete("OS-EP-FILTER/projects/{project}/endpoints/{endpoint}") { _, context in
            try identity.dissociate(
                endpoint: try context.parameters.require("endpoint"), project: try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
        router.get("OS-EP-FILTER/endpoints/{endpoint}/projects") { _, context in
            try projectList(try identity.projects(givenEndpoint: try context.parameters.require("endpoint"), context.auth))
        }
    }

    func filters(_ body: [String: JSONValue]) throws -> [String: String]? {
        switch body["filters"] {
        case nil, .null?: return nil
        case .object(let fields)?:
            return try fields.mapValues { value in
                guard case .string(let text) = value else {
                    throw NimbusError.badRequest("Invalid input for field 'filters': each filter is a string.")
                }
                return text
            }
        case let other?: throw NimbusError.badRequest("Invalid input for field 'filters': expected an object, found \(other.typeName).")
        }
    }

    func render(_ group: EndpointGroup) -> JSONValue {
        [
            "id": .string(group.id.rawValue), "name": .string(group.name), "description": .string(group.description),
            "filters": .object(group.filters.mapValues(JSONValue.string)),
            "links": ["self": .string("\(baseURL)/identity/v3/OS-EP-FILTER/endpoint_groups/\(group.id)")],
        ]
    }

    func links(_ collection: String) -> JSONValue {
        ["self": .string("\(baseURL)/identity/v3/\(collection)"), "previous": .null, "next": .null]
    }
}
