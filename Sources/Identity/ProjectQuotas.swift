import NimbusCore
import NimbusStore

/// One service's quotas per project: the defaults, a project's own limits,
/// and who may read and change them. Projects belong to Identity, so the
/// rules shared by the compute and network quotas live here; each service
/// words its own refusals.
public struct ProjectQuotas: Sendable {
    public struct Resource: Sendable {
        public let name: String
        public let defaultLimit: Int
        public init(_ name: String, _ defaultLimit: Int) {
            self.name = name
            self.defaultLimit = defaultLimit
        }
    }

    /// A request that would take a project past a limit.
    public struct Excess: Sendable, Equatable {
        public let resource: String
        public let requested: Int
        public let used: Int
        public let allowed: Int
    }

    public let service: QuotaService
    /// In the order they are shown.
    public let resources: [Resource]
    /// The policy prefix named in refusals (`os_compute_api:os-quota-sets`).
    let policy: String
    let store: Store

    public init(service: QuotaService, resources: [Resource], policy: String, store: Store) {
        self.service = service
        self.resources = resources
        self.policy = policy
        self.store = store
    }

    public var defaults: [String: Int] {
        Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.defaultLimit) })
    }

    /// A project's limits. Members read their own project's; admins any.
    public func limits(of project: String, _ auth: AuthContext) throws -> [String: Int] {
        try limits(of: try readable(project, auth))
    }

    public func usage(of project: String, _ auth: AuthContext) throws -> QuotaUsage {
        try store.quotaUsage(service, project: try readable(project, auth))
    }

    /// Limits used inside a service's own checks, where the caller is already known.
    public func limits(of project: ProjectID) throws -> [String: Int] {
        defaults.merging(try store.quotaOverrides(service, project: project)) { $1 }
    }

    /// Sets some limits (admins only). Unless `force`, a limit below what the
    /// project already uses is refused and nothing changes.
    public func set(_ values: [String: Int], of project: String, force: Bool, _ auth: AuthContext) throws -> [String: Int] {
        guard Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("Policy doesn't allow \(policy):update to be performed.")
        }
        let known = Set(resources.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw NimbusError.badRequest("Invalid input for field/attribute quota_set. Additional properties are not allowed ('\(unknown)' was unexpected)")
        }
        for (resource, limit) in values where limit < -1 {
            throw NimbusError.badRequest("Invalid input for field/attribute \(resource). Value: \(limit). \(limit) is less than the minimum of -1")
        }
        let projectID = ProjectID(rawValue: project)
        try store.setQuotaOverrides(service, project: projectID, values) { usage in
            guard !force else { return }
            for (resource, limit) in values.sorted(by: { $0.key < $1.key }) where limit != -1 {
                let used = usage[resource] ?? 0
                if limit < used {
                    throw NimbusError.badRequest("Quota limit \(limit) for \(resource) must be greater than or equal to already used and reserved \(used).")
                }
            }
        }
        return try limits(of: projectID)
    }

    /// Every project with limits of its own, and those limits (admins only).
    public func customized(_ auth: AuthContext) throws -> [(project: ProjectID, limits: [String: Int])] {
        guard Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("Policy doesn't allow \(policy):index to be performed.")
        }
        return try store.projectsWithQuotaOverrides(service).map { ($0, try limits(of: $0)) }
    }

    /// Back to the defaults (admins only).
    public func reset(_ project: String, _ auth: AuthContext) throws {
        guard Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("Policy doesn't allow \(policy):delete to be performed.")
        }
        try store.deleteQuotaOverrides(service, project: ProjectID(rawValue: project))
    }

    /// The first resource that `requested` more would take past its limit.
    public static func excess(_ requested: [String: Int], usage: QuotaUsage, limits: [String: Int]) -> Excess? {
        for (resource, amount) in requested.sorted(by: { $0.key < $1.key }) where amount > 0 {
            guard let allowed = limits[resource], allowed >= 0 else { continue }
            let used = usage[resource] ?? 0
            if used + amount > allowed {
                return Excess(resource: resource, requested: amount, used: used, allowed: allowed)
            }
        }
        return nil
    }

    func readable(_ project: String, _ auth: AuthContext) throws -> ProjectID {
        let id = ProjectID(rawValue: project)
        guard Policy.isAdmin(auth) || (Policy.isReader(auth) && auth.projectId == id) else {
            throw NimbusError.forbidden("Policy doesn't allow \(policy):show to be performed.")
        }
        return id
    }
}
