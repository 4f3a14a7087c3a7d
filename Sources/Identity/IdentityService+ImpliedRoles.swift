import Foundation
import NimbusCore

/// Keystone's implied roles: holding the prior role gives the implied one.
extension IdentityService {
    func inference(prior: String, implied: String, _ auth: AuthContext) throws -> RoleInference {
        try Policy.requireAdmin(auth)
        let prior = try role(prior, auth)
        let implied = try role(implied, auth)
        return RoleInference(priorRoleId: prior.id, impliedRoleId: implied.id)
    }

    public func createInference(prior: String, implied: String, _ auth: AuthContext) throws -> (prior: Role, implied: Role) {
        let inference = try inference(prior: prior, implied: implied, auth)
        guard inference.priorRoleId != inference.impliedRoleId else {
            throw NimbusError.badRequest("A role cannot imply itself.")
        }
        // A global role implying a domain's role would let that domain's
        // admins widen what a global role grants; Keystone forbids it.
        if try role(prior, auth).domainId == nil, try role(implied, auth).domainId != nil {
            throw NimbusError.forbidden("Implied role \(implied) is domain-specific; a global role cannot imply it.")
        }
        try store.insert(inference)
        return (try role(prior, auth), try role(implied, auth))
    }

    public func checkInference(prior: String, implied: String, _ auth: AuthContext) throws -> (prior: Role, implied: Role) {
        let inference = try inference(prior: prior, implied: implied, auth)
        guard try store.roleInferences(prior: inference.priorRoleId).contains(inference) else {
            throw NimbusError.notFound("\(prior) does not imply \(implied).")
        }
        return (try role(prior, auth), try role(implied, auth))
    }

    public func deleteInference(prior: String, implied: String, _ auth: AuthContext) throws {
        guard try store.delete(try inference(prior: prior, implied: implied, auth)) else {
            throw NimbusError.notFound("\(prior) does not imply \(implied).")
        }
    }

    /// Each prior role with the roles it implies directly, for one prior role or all.
    public func inferences(prior: String?, _ auth: AuthContext) throws -> [(prior: Role, implies: [Role])] {
        try Policy.requireAdmin(auth)
        let priorID = try prior.map { try role($0, auth).id }
        let grouped = Dictionary(grouping: try store.roleInferences(prior: priorID), by: \.priorRoleId)
        var result: [(prior: Role, implies: [Role])] = []
        for (priorRole, inferences) in grouped {
            guard let found = try store.role(id: priorRole) else { continue }
            result.append((found, try inferences.compactMap { try store.role(id: $0.impliedRoleId) }.sorted { $0.name < $1.name }))
        }
        if let priorID, result.isEmpty, let found = try store.role(id: priorID) { result.append((found, [])) }
        return result.sorted { $0.prior.name < $1.prior.name }
    }
}
