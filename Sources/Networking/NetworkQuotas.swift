import Identity
import NimbusCore
import NimbusStore

extension ProjectQuotas {
    /// Neutron's quotas with Neutron's defaults. Networks, subnets and ports
    /// are enforced; the others are kept for the resources still to come.
    static func network(_ store: Store) -> ProjectQuotas {
        ProjectQuotas(
            service: .network,
            resources: [
                .init("network", 100), .init("subnet", 100), .init("port", 500), .init("router", 10),
                .init("floatingip", 50), .init("security_group", 10), .init("security_group_rule", 100),
                .init("rbac_policy", 10), .init("subnetpool", -1),
            ],
            policy: "update_quota", store: store)
    }
}

extension NetworkService {
    /// Refuses one more `resource` for `project` past its limit, as
    /// Neutron does (409 OverQuota). The count and the insert are separate
    /// transactions, so a burst can overshoot by the number of racing requests.
    func checkQuota(_ resource: String, project: ProjectID) throws {
        let limits = try quotas.limits(of: project)
        let usage = try store.quotaUsage(.network, project: project)
        if ProjectQuotas.excess([resource: 1], usage: usage, limits: limits) != nil {
            throw Fault.make(.conflict, "OverQuota", "Quota exceeded for resources: ['\(resource)'].")
        }
    }
}
