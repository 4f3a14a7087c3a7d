/// The services that keep quotas, each with its own resource names.
public enum QuotaService: String, Sendable, Codable {
    case compute, network
}

/// A project's limit for one resource where it differs from the service's
/// default. -1 means unlimited, as in Nova and Neutron.
public struct QuotaOverride: Sendable, Codable, Equatable {
    public var service: QuotaService
    public var projectId: ProjectID
    public var resource: String
    public var hardLimit: Int
    public init(service: QuotaService, projectId: ProjectID, resource: String, hardLimit: Int) {
        self.service = service
        self.projectId = projectId
        self.resource = resource
        self.hardLimit = hardLimit
    }
}

/// What a project holds, by the service's resource names (`instances`,
/// `cores`, `ram`; `network`, `subnet`, `port`).
public typealias QuotaUsage = [String: Int]
