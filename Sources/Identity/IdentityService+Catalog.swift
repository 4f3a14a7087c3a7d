import Foundation
import NimbusCore

/// Keystone's service catalog as data: what `openstack endpoint`, `service`
/// and `region` edit, and what every scoped token lists.
extension IdentityService {
    /// The services Nimbus itself answers for, all on one port, with paths as
    /// devstack lays them out.
    static let builtInServices: [(type: String, name: String, path: String)] = [
        ("identity", "keystone", "/identity"),
        ("image", "glance", "/image"),
        ("compute", "nova", "/compute/v2.1"),
        ("network", "neutron", "/network"),
    ]
    public static let defaultRegion = "RegionOne"

    /// Seeds the catalog on first start. Later, when the base URL changes
    /// (another `--listen` or `--public-url`), the endpoints under the old
    /// base move to the new one; endpoints someone added, edited elsewhere or
    /// deleted stay as they are.
    public func bootstrapCatalog(baseURL: String) throws {
        guard let origin = try store.catalogOrigin() else {
            if try store.region(id: Self.defaultRegion) == nil { try store.insert(Region(id: Self.defaultRegion)) }
            for service in Self.builtInServices {
                let id: ServiceID = Self.builtInID(service.type)
                guard try store.catalogService(id: id) == nil else { continue }
                try store.insert(CatalogService(id: id, type: service.type, name: service.name))
                for interface in ServiceEndpoint.interfaces {
                    try store.insert(ServiceEndpoint(
                        id: Self.builtInID("\(service.type)-\(interface)"), serviceId: id, interface: interface,
                        regionId: Self.defaultRegion, url: baseURL + service.path))
                }
            }
            try store.moveCatalogOrigin(from: nil, to: baseURL)
            return
        }
        if origin != baseURL {
            try store.moveCatalogOrigin(from: origin, to: baseURL)
            logger.info("catalog endpoints moved", metadata: ["from": "\(origin)", "to": "\(baseURL)"])
        }
    }

    /// Built-in ids derived from names, the same in every deployment and across restarts.
    static func builtInID<ID: KeystoneIdentifier>(_ seed: String) -> ID {
        var hash = StableHash.offsetBasis
        var out = ""
        for round in 0..<2 {
            hash = StableHash.fnv1a(seed + "\(round)", continuing: hash)
            out += String(format: "%016llx", hash)
        }
        return ID(rawValue: out)
    }

    // MARK: The catalog in tokens

    /// A service as a token lists it: with its enabled endpoints.
    public struct CatalogEntry: Sendable {
        public var service: CatalogService
        public var endpoints: [ServiceEndpoint]
    }

    /// The catalog for a token. A project given endpoints (singly or through
    /// endpoint groups) sees only those; any other token sees every enabled
    /// endpoint of every enabled service, as Keystone's SQL catalog does.
    public func catalog(for auth: AuthContext) throws -> [CatalogEntry] {
        var endpoints = try store.endpoints().filter(\.enabled)
        if let project = auth.projectId, let given = try givenEndpoints(project) {
            endpoints = endpoints.filter(given)
        }
        let byService = Dictionary(grouping: endpoints, by: \.serviceId)
        return try store.catalogServices().filter(\.enabled).compactMap { service in
            guard let endpoints = byService[service.id] else { return nil }
            return CatalogEntry(service: service, endpoints: endpoints)
        }
    }

    // MARK: Regions (readable by anyone signed in, as in Keystone)

    public func createRegion(id: String?, description: String?, parentRegionId: String?, _ auth: AuthContext) throws -> Region {
        try Policy.requireAdmin(auth)
        let id = try id.map { try Self.validRegionID($0) } ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        guard try store.region(id: id) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store region - Duplicate ID, \(id).")
        }
        if let parentRegionId, try store.region(id: parentRegionId) == nil {
            throw NimbusError.badRequest("Invalid input for field 'parent_region_id': could not find region: \(parentRegionId).")
        }
        let region = Region(id: id, description: description ?? "", parentRegionId: parentRegionId)
        try store.insert(region)
        return region
    }

    public func region(_ id: String) throws -> Region {
        guard let region = try store.region(id: id) else { throw NimbusError.notFound("Could not find region: \(id).") }
        return region
    }

    public func regions(parentRegionId: String?) throws -> [Region] {
        try store.regions(parent: parentRegionId)
    }

    /// `parentRegionId` is nil to keep the parent, `.some(nil)` to remove it.
    public func updateRegion(_ id: String, description: String?, parentRegionId: String??, _ auth: AuthContext) throws -> Region {
        try Policy.requireAdmin(auth)
        var region = try self.region(id)
        if let description { region.description = description }
        if let parentRegionId {
            if let parent = parentRegionId {
                // Walk up from the new parent: meeting this region means a cycle.
                var next: String? = parent
                while let current = next {
                    if current == region.id {
                        throw NimbusError.badRequest("It is not allowed to have region \(region.id) as a parent of itself or of its ancestors.")
                    }
                    guard let found = try store.region(id: current) else {
                        throw NimbusError.badRequest("Invalid input for field 'parent_region_id': could not find region: \(current).")
                    }
                    next = found.parentRegionId
                }
            }
            region.parentRegionId = parentRegionId
        }
        try store.update(region)
        return region
    }

    /// Deletes a region with the regions below it, unless an endpoint is in one of them.
    public func deleteRegion(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let region = try self.region(id)
        let regions = try store.regions()
        var subtree: Set<String> = [region.id]
        var grew = true
        while grew {
            let children = regions.filter { $0.parentRegionId.map(subtree.contains) == true && !subtree.contains($0.id) }
            subtree.formUnion(children.map(\.id))
            grew = !children.isEmpty
        }
        if let used = try store.endpoints().first(where: { $0.regionId.map(subtree.contains) == true }) {
            throw NimbusError.conflict("Region \(id) cannot be deleted while endpoint \(used.id) is in it (region \(used.regionId ?? id)).")
        }
        guard try store.deleteRegion(id: region.id) else { throw NimbusError.notFound("Could not find region: \(id).") }
    }

    static func validRegionID(_ id: String) throws -> String {
        guard !id.isEmpty, id.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field 'id': a region id must be 1 to 255 characters.")
        }
        return id
    }

    // MARK: Services

    public struct ServiceChanges: Sendable {
        public var type: String?
        public var name: String?
        public var description: String?
        public var enabled: Bool?
        public var extra: [String: JSONValue] = [:]
        public init(type: String?, name: String?, description: String?, enabled: Bool?, extra: [String: JSONValue]) {
            self.type = type
            self.name = name
            self.description = description
            self.enabled = enabled
            self.extra = extra
        }
    }

    public func createService(_ draft: ServiceChanges, _ auth: AuthContext) throws -> CatalogService {
        try Policy.requireAdmin(auth)
        guard let type = draft.type else { throw NimbusError.badRequest("Invalid input for field 'type': 'type' is a required property.") }
        let service = CatalogService(
            id: .generate(), type: try Self.validServiceField(type, "type"), name: try draft.name.map { try Self.validServiceField($0, "name") },
            description: draft.description, enabled: draft.enabled ?? true, extra: draft.extra)
        try store.insert(service)
        logger.info("catalog service created", metadata: ["service.id": "\(service.id)", "type": "\(service.type)"])
        return service
    }

    public func service(_ id: String, _ auth: AuthContext) throws -> CatalogService {
        try Policy.requireSystemReader(auth)
        guard let service = try store.catalogService(id: ServiceID(rawValue: id)) else {
            throw NimbusError.notFound("Could not find service: \(id).")
        }
        return service
    }

    public func services(type: String?, name: String?, _ auth: AuthContext) throws -> [CatalogService] {
        try Policy.requireSystemReader(auth)
        return try store.catalogServices().filter { (type == nil || $0.type == type) && (name == nil || $0.name == name) }
    }

    public func updateService(_ id: String, _ changes: ServiceChanges, _ auth: AuthContext) throws -> CatalogService {
        try Policy.requireAdmin(auth)
        var service = try self.service(id, auth)
        if let type = changes.type { service.type = try Self.validServiceField(type, "type") }
        if let name = changes.name { service.name = try Self.validServiceField(name, "name") }
        if let description = changes.description { service.description = description }
        if let enabled = changes.enabled { service.enabled = enabled }
        service.extra.merge(changes.extra) { _, new in new }
        try store.update(service)
        return service
    }

    /// Deletes a service and its endpoints, as Keystone does.
    public func deleteService(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let service = try self.service(id, auth)
        guard try store.deleteCatalogService(id: service.id) else { throw NimbusError.notFound("Could not find service: \(id).") }
        logger.info("catalog service deleted", metadata: ["service.id": "\(service.id)"])
    }

    static func validServiceField(_ value: String, _ field: String) throws -> String {
        guard !value.isEmpty, value.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field '\(field)': must be 1 to 255 characters.")
        }
        return value
    }

    // MARK: Endpoints

    public struct EndpointChanges: Sendable {
        public var serviceId: String?
        public var interface: String?
        public var url: String?
        public var regionId: String?
        /// The legacy `region` attribute: a region it names is made if missing.
        public var legacyRegion: String?
        public var enabled: Bool?
        public init(serviceId: String?, interface: String?, url: String?, regionId: String?, legacyRegion: String?, enabled: Bool?) {
            self.serviceId = serviceId
            self.interface = interface
            self.url = url
            self.regionId = regionId
            self.legacyRegion = legacyRegion
            self.enabled = enabled
        }
    }

    public func createEndpoint(_ draft: EndpointChanges, _ auth: AuthContext) throws -> ServiceEndpoint {
        try Policy.requireAdmin(auth)
        guard let serviceId = draft.serviceId else {
            throw NimbusError.badRequest("Invalid input for field 'service_id': 'service_id' is a required property.")
        }
        guard let interface = draft.interface else {
            throw NimbusError.badRequest("Invalid input for field 'interface': 'interface' is a required property.")
        }
        guard let url = draft.url else { throw NimbusError.badRequest("Invalid input for field 'url': 'url' is a required property.") }
        let endpoint = ServiceEndpoint(
            id: .generate(), serviceId: try existingService(serviceId), interface: try Self.validInterface(interface),
            regionId: try endpointRegion(draft), url: try Self.validURL(url), enabled: draft.enabled ?? true)
        try store.insert(endpoint)
        logger.info("endpoint created", metadata: ["endpoint.id": "\(endpoint.id)", "url": "\(endpoint.url)"])
        return endpoint
    }

    public func endpoint(_ id: String, _ auth: AuthContext) throws -> ServiceEndpoint {
        try Policy.requireSystemReader(auth)
        guard let endpoint = try store.endpoint(id: EndpointID(rawValue: id)) else {
            throw NimbusError.notFound("Could not find endpoint: \(id).")
        }
        return endpoint
    }

    public func endpoints(serviceId: String?, interface: String?, regionId: String?, _ auth: AuthContext) throws -> [ServiceEndpoint] {
        try Policy.requireSystemReader(auth)
        return try store.endpoints().filter { endpoint in
            (serviceId == nil || endpoint.serviceId.rawValue == serviceId) && (interface == nil || endpoint.interface == interface)
                && (regionId == nil || endpoint.regionId == regionId)
        }
    }

    public func updateEndpoint(_ id: String, _ changes: EndpointChanges, _ auth: AuthContext) throws -> ServiceEndpoint {
        try Policy.requireAdmin(auth)
        var endpoint = try self.endpoint(id, auth)
        if let serviceId = changes.serviceId { endpoint.serviceId = try existingService(serviceId) }
        if let interface = changes.interface { endpoint.interface = try Self.validInterface(interface) }
        if let url = changes.url { endpoint.url = try Self.validURL(url) }
        if changes.regionId != nil || changes.legacyRegion != nil { endpoint.regionId = try endpointRegion(changes) }
        if let enabled = changes.enabled { endpoint.enabled = enabled }
        try store.update(endpoint)
        return endpoint
    }

    public func deleteEndpoint(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let endpoint = try self.endpoint(id, auth)
        guard try store.deleteEndpoint(id: endpoint.id) else { throw NimbusError.notFound("Could not find endpoint: \(id).") }
        logger.info("endpoint deleted", metadata: ["endpoint.id": "\(endpoint.id)"])
    }

    private func existingService(_ id: String) throws -> ServiceID {
        guard let service = try store.catalogService(id: ServiceID(rawValue: id)) else {
            throw NimbusError.badRequest("Invalid input for field 'service_id': could not find service: \(id).")
        }
        return service.id
    }

    /// `region_id` must name a region; the legacy `region` makes one if needed.
    private func endpointRegion(_ changes: EndpointChanges) throws -> String? {
        if let regionId = changes.regionId {
            guard try store.region(id: regionId) != nil else {
                throw NimbusError.badRequest("Invalid input for field 'region_id': could not find region: \(regionId).")
            }
            return regionId
        }
        guard let legacy = changes.legacyRegion else { return nil }
        if try store.region(id: legacy) == nil { try store.insert(Region(id: try Self.validRegionID(legacy))) }
        return legacy
    }

    static func validInterface(_ interface: String) throws -> String {
        guard ServiceEndpoint.interfaces.contains(interface) else {
            throw NimbusError.badRequest("Invalid input for field 'interface': '\(interface)' is not one of public, internal, admin.")
        }
        return interface
    }

    /// Keystone's rule: a scheme, a colon, something after it; at most 225 characters.
    static func validURL(_ url: String) throws -> String {
        let scheme = url.prefix { $0 != ":" }
        guard url.count <= 225, !scheme.isEmpty, scheme.count < url.count - 1,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) })
        else { throw NimbusError.badRequest("Invalid input for field 'url': '\(url)' is not a URL.") }
        return url
    }

    // MARK: Endpoint groups (OS-EP-FILTER)

    public func createEndpointGroup(name: String?, description: String?, filters: [String: String]?, _ auth: AuthContext) throws -> EndpointGroup {
        try Policy.requireAdmin(auth)
        guard let filters else { throw NimbusError.badRequest("Invalid input for field 'filters': 'filters' is a required property.") }
        let group = EndpointGroup(
            id: .generate(), name: try Self.validName(name, kind: "endpoint group"), description: description ?? "",
            filters: try Self.validFilters(filters))
        try store.insert(group)
        return group
    }

    public func endpointGroup(_ id: String, _ auth: AuthContext) throws -> EndpointGroup {
        try Policy.requireSystemReader(auth)
        guard let group = try store.endpointGroup(id: EndpointGroupID(rawValue: id)) else {
            throw NimbusError.notFound("Could not find endpoint group: \(id).")
        }
        return group
    }

    public func endpointGroups(name: String?, _ auth: AuthContext) throws -> [EndpointGroup] {
        try Policy.requireSystemReader(auth)
        return try store.endpointGroups().filter { name == nil || $0.name == name }
    }

    public func updateEndpointGroup(
        _ id: String, name: String?, description: String?, filters: [String: String]?, _ auth: AuthContext
    ) throws -> EndpointGroup {
        try Policy.requireAdmin(auth)
        var group = try endpointGroup(id, auth)
        if let name { group.name = try Self.validName(name, kind: "endpoint group") }
        if let description { group.description = description }
        if let filters { group.filters = try Self.validFilters(filters) }
        try store.update(group)
        return group
    }

    public func deleteEndpointGroup(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let group = try endpointGroup(id, auth)
        guard try store.deleteEndpointGroup(id: group.id) else { throw NimbusError.notFound("Could not find endpoint group: \(id).") }
    }

    /// The endpoints a group matches.
    public func endpoints(in groupId: String, _ auth: AuthContext) throws -> [ServiceEndpoint] {
        let group = try endpointGroup(groupId, auth)
        return try store.endpoints().filter(group.matches)
    }

    public func associate(endpointGroup groupId: String, project projectId: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        try store.associate(try endpointGroup(groupId, auth).id, with: try project(projectId, auth).id)
    }

    public func checkAssociation(endpointGroup groupId: String, project projectId: String, _ auth: AuthContext) throws -> Project {
        let group = try endpointGroup(groupId, auth)
        let project = try project(projectId, auth)
        guard try store.projects(of: group.id).contains(project.id) else {
            throw NimbusError.notFound("Could not find project \(projectId) in endpoint group \(groupId).")
        }
        return project
    }

    public func dissociate(endpointGroup groupId: String, project projectId: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        guard try store.dissociate(try endpointGroup(groupId, auth).id, from: try project(projectId, auth).id) else {
            throw NimbusError.notFound("Could not find project \(projectId) in endpoint group \(groupId).")
        }
    }

    public func projects(inEndpointGroup groupId: String, _ auth: AuthContext) throws -> [Project] {
        try store.projects(of: try endpointGroup(groupId, auth).id).compactMap { try store.project(id: $0) }
    }

    public func endpointGroups(givenTo projectId: String, _ auth: AuthContext) throws -> [EndpointGroup] {
        try Policy.requireSystemReader(auth)
        return try store.endpointGroups(of: try project(projectId, auth).id)
    }

    public func associate(endpoint endpointId: String, project projectId: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        try store.associate(try endpoint(endpointId, auth).id, with: try project(projectId, auth).id)
    }

    public func checkAssociation(endpoint endpointId: String, project projectId: String, _ auth: AuthContext) throws {
        let endpoint = try endpoint(endpointId, auth)
        guard try store.endpointIDs(givenTo: try project(projectId, auth).id).contains(endpoint.id) else {
            throw NimbusError.notFound("Could not find endpoint \(endpointId) given to project \(projectId).")
        }
    }

    public func dissociate(endpoint endpointId: String, project projectId: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        guard try store.dissociate(try endpoint(endpointId, auth).id, from: try project(projectId, auth).id) else {
            throw NimbusError.notFound("Could not find endpoint \(endpointId) given to project \(projectId).")
        }
    }

    /// The endpoints given to a project, singly or through its groups.
    public func endpoints(givenTo projectId: String, _ auth: AuthContext) throws -> [ServiceEndpoint] {
        try Policy.requireSystemReader(auth)
        guard let given = try givenEndpoints(try project(projectId, auth).id) else { return [] }
        return try store.endpoints().filter(given)
    }

    /// Whether an endpoint is given to the project, singly or through a
    /// group; nil when the project was given none (it then sees them all).
    func givenEndpoints(_ project: ProjectID) throws -> ((ServiceEndpoint) -> Bool)? {
        let groups = try store.endpointGroups(of: project)
        let given = Set(try store.endpointIDs(givenTo: project))
        guard !groups.isEmpty || !given.isEmpty else { return nil }
        return { endpoint in given.contains(endpoint.id) || groups.contains { $0.matches(endpoint) } }
    }

    public func projects(givenEndpoint endpointId: String, _ auth: AuthContext) throws -> [Project] {
        try store.projects(givenEndpoint: try endpoint(endpointId, auth).id).compactMap { try store.project(id: $0) }
    }

    static func validFilters(_ filters: [String: String]) throws -> [String: String] {
        if let unknown = filters.keys.first(where: { !EndpointGroup.filterKeys.contains($0) }) {
            throw NimbusError.badRequest("Invalid input for field 'filters': '\(unknown)' is not one of service_id, region_id, interface.")
        }
        if let interface = filters["interface"] { _ = try validInterface(interface) }
        return filters
    }
}
