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

    public func instanceActions(_ id: String, _ auth: AuthContext) throws -> [InstanceAction] {
        try store.instanceActions(server: try server(id, auth).id)
    }

    public func instanceAction(_ id: String, requestID: String, _ auth: AuthContext) throws -> InstanceAction {
        guard let action = try instanceActions(id, auth).first(where: { $0.requestId == requestID }) else {
            throw NimbusError.notFound("Action for request_id \(requestID) on instance \(id) not found")
        }
        return action
    }
}
