import Foundation
import Identity
import NimbusCore

/// Nova's instance actions: the requests that acted on a server, by request id.
extension ComputeService {
    /// Records that the request `requestID` did `action` to the server. The
    /// action already happened, so a record that cannot be written is logged, not thrown.
    public func recordAction(_ action: String, on server: ServerID, requestID: String, _ auth: AuthContext) {
        guard let project = auth.projectId else { return }
        let record = InstanceAction(serverId: server, requestId: requestID, action: action, userId: auth.userId, projectId: project, startTime: Date())
        do { try store.insert(record) } catch {
            logger.error("an instance action was not recorded", metadata: ["server.id": "\(server)", "action": "\(action)", "error": "\(error)"])
        }
    }

    /// A server's actions; with `deleted` (Nova 2.21) also a deleted
    /// server's, to its project's members and to admins.
    public func instanceActions(_ id: String, deleted: Bool = false, _ auth: AuthContext) throws -> [InstanceAction] {
        do {
            return try store.instanceActions(server: try server(id, auth).id)
        } catch let error as NimbusError where error.code == .notFound && deleted {
            guard let server = ServerID.parse(id) else { throw error }
            let actions = try store.instanceActions(server: server)
            guard let owner = actions.first?.projectId, Policy.isAdmin(auth) || owner == auth.projectId else { throw error }
            return actions
        }
    }

    public func instanceAction(_ id: String, requestID: String, deleted: Bool = false, _ auth: AuthContext) throws -> InstanceAction {
        guard let action = try instanceActions(id, deleted: deleted, auth).first(where: { $0.requestId == requestID }) else {
            throw NimbusError.notFound("Action for request_id \(requestID) on instance \(id) not found")
        }
        return action
    }
}
