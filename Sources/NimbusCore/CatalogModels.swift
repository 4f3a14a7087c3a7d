import Foundation

/// Keystone's service catalog as data: regions, services, their endpoints,
/// and the endpoint groups that narrow what a project's tokens list.

public struct ServiceID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct EndpointID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct EndpointGroupID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A region: a name endpoints are grouped under, perhaps inside another region.
/// Its id is chosen by whoever makes it (`RegionOne`), or generated.
public struct Region: Sendable, Codable, Equatable {
    public var id: String
    public var description: String
    public var parentRegionId: String?

    public init(id: String, description: String = "", parentRegionId: String? = nil) {
        self.id = id
        self.description = description
        self.parentRegionId = parentRegionId
    }
}

/// A service in the catalog, such as `compute`/`nova`. Keystone keeps any
/// attribute it does not know as `extra`, and returns it as given.
public struct CatalogService: Sendable, Codable, Equatable {
    public var id: ServiceID
    public var type: String
    public var name: String?
    public var description: String?
    public var enabled: Bool
    public var extra: [String: JSONValue]

    public init(
        id: ServiceID, type: String, name: String?, description: String? = nil, enabled: Bool = true,
        extra: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.enabled = enabled
        self.extra = extra
    }
}

/// Where one interface of a service answers.
public struct ServiceEndpoint: Sendable, Codable, Equatable {
    public static let interfaces = ["public", "internal", "admin"]

    public var id: EndpointID
    public var serviceId: ServiceID
    public var interface: String
    public var regionId: String?
    public var url: String
    public var enabled: Bool

    public init(id: EndpointID, serviceId: ServiceID, interface: String, regionId: String?, url: String, enabled: Bool = true) {
        self.id = id
        self.serviceId = serviceId
        self.interface = interface
        self.regionId = regionId
        self.url = url
        self.enabled = enabled
    }
}

/// Keystone's OS-EP-FILTER endpoint group: the endpoints matching its filters
/// (any of service, region, interface), offered to the projects it is given to.
public struct EndpointGroup: Sendable, Codable, Equatable {
    public static let filterKeys: Set<String> = ["service_id", "region_id", "interface"]

    public var id: EndpointGroupID
    public var name: String
    public var description: String
    public var filters: [String: String]

    public init(id: EndpointGroupID, name: String, description: String = "", filters: [String: String]) {
        self.id = id
        self.name = name
        self.description = description
        self.filters = filters
    }

    public func matches(_ endpoint: ServiceEndpoint) -> Bool {
        filters.allSatisfy { key, value in
            switch key {
            case "service_id": endpoint.serviceId.rawValue == value
            case "region_id": endpoint.regionId == value
            case "interface": endpoint.interface == value
            default: false
            }
        }
    }
}
