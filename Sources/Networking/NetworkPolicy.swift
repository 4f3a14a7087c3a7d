import Identity
import NimbusCore

/// Neutron's default policy, one function per rule, built on Identity's
/// `Policy` roles (admin ⊃ member ⊃ reader).
///
/// A project sees its own resources plus shared and external networks (and
/// their subnets); anything else is reported as not found, so other projects'
/// resources cannot even be confirmed to exist.
enum NetworkPolicy {
    static func mayRead(_ network: Network, _ auth: AuthContext) -> Bool {
        if Policy.isAdmin(auth) { return true }
        guard Policy.isReader(auth), let project = auth.projectId else { return false }
        return network.projectId == project || network.shared || network.external
    }

    /// Subnets follow their network: visible with a shared or external network.
    static func mayRead(_ subnet: Subnet, on network: Network?, _ auth: AuthContext) -> Bool {
        if Policy.isAdmin(auth) { return true }
        guard Policy.isReader(auth), let project = auth.projectId else { return false }
        if subnet.projectId == project { return true }
        guard let network else { return false }
        return network.projectId == project || network.shared || network.external
    }

    /// A port is its project's, and its network owner's (who may look after its network).
    static func mayRead(_ port: NetworkPort, on network: Network?, _ auth: AuthContext) -> Bool {
        if Policy.isAdmin(auth) { return true }
        guard Policy.isReader(auth), let project = auth.projectId else { return false }
        return port.projectId == project || network?.projectId == project
    }

    /// Changing or deleting a network or subnet: its project's members, or an admin.
    static func mayModify(owner: ProjectID, _ auth: AuthContext) -> Bool {
        Policy.mayModify(owner: owner, auth)
    }

    /// Admin or a member of the network's project: may add subnets, choose
    /// addresses and MACs, and act on every port of the network.
    static func ownsNetwork(_ network: Network, _ auth: AuthContext) -> Bool {
        Policy.mayModify(owner: network.projectId, auth)
    }

    static func mayModify(_ port: NetworkPort, on network: Network?, _ auth: AuthContext) -> Bool {
        Policy.mayModify(owner: port.projectId, auth) || network.map { ownsNetwork($0, auth) } == true
    }

    /// Ports on a network: its owner's, or anyone's when the network is shared.
    static func mayCreatePort(on network: Network, _ auth: AuthContext) -> Bool {
        ownsNetwork(network, auth) || (network.shared && Policy.isMember(auth))
    }

    /// `shared` and `router:external` change who can see a network: admins only.
    static func requireAdmin(_ rule: String, _ why: String, _ auth: AuthContext) throws {
        guard Policy.isAdmin(auth) else { throw Fault.policy(rule, why) }
    }

    /// The project a new resource belongs to: the caller's, or another one an admin names.
    static func owner(requested: String?, _ auth: AuthContext) throws -> ProjectID {
        let caller = try Policy.requireProjectMember(auth)
        guard let requested, requested != caller.rawValue else { return caller }
        guard Policy.isAdmin(auth) else {
            throw Fault.make(.badRequest, "HTTPBadRequest",
                             "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
        }
        guard !requested.isEmpty, requested.utf8.count <= 255 else { throw Fault.invalid("project_id", "'\(requested)' is not a valid project id") }
        return ProjectID(rawValue: requested)
    }
}
