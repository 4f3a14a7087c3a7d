import Foundation
import Identity
import NimbusCore

extension ComputeService {
    /// A server the caller may see: its project's, or any for admins. Others are 404.
    public func server(_ id: String, _ auth: AuthContext) throws -> Server {
        guard let serverID = ServerID.parse(id), let server = try store.server(id: serverID),
              Policy.isAdmin(auth) || (Policy.isReader(auth) && server.projectId == auth.projectId)
        else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return server
    }

    /// Nova's list filters that Nimbus honours.
    public struct ListQuery: Sendable {
        public var allTenants = false
        public var name: String?
        public var status: String?
        public var imageId: String?
        public var flavorId: String?
        public var changesSince: Date?
        public init() {}
    }

    public func servers(_ query: ListQuery, _ auth: AuthContext) throws -> [Server] {
        let project = try Policy.requireProjectReader(auth)
        let all = query.allTenants && Policy.isAdmin(auth)
        let pattern = try query.name.map { try NSRegularExpression(pattern: $0) }
        return try store.servers(project: all ? nil : project).filter { server in
            if let pattern, pattern.firstMatch(in: server.name, range: NSRange(server.name.startIndex..., in: server.name)) == nil { return false }
            if let status = query.status, server.status != status.uppercased() { return false }
            if let image = query.imageId, server.imageId?.rawValue != image { return false }
            if let flavor = query.flavorId, server.flavorId.rawValue != flavor { return false }
            if let since = query.changesSince, server.updatedAt < since { return false }
            return true
        }
    }

    /// Deletes a server: its VM, disks and sockets go, then the record.
    public func delete(_ id: String, _ auth: AuthContext) async throws {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:servers:delete to be performed.")
        }
        if server.locked, !Policy.isAdmin(auth) {
            throw NimbusError.conflict("Instance \(server.id) is locked")
        }
        _ = try store.updateServer(id: server.id) { $0.taskState = .deleting }
        // Queued behind the server's other work: a spawn under way finishes
        // first, and then nothing of it is left.
        let paths = paths(server.id)
        await operations.enqueue(server.id) {
            await supervisor.stop(server.id, paths: paths, grace: .zero)
            paths.remove()
            _ = try? networks.releasePorts(deviceID: server.id.rawValue, project: server.projectId, preserving: Set(server.preservedPortIds))
            _ = try? store.deleteServer(id: server.id)
            consoles.revoke(server: server.id)
            logger.info("server deleted", metadata: ["server.id": "\(server.id)"])
        }.value
    }

    /// The last `lines` lines of the serial console log (all when nil).
    public func consoleOutput(_ id: String, lines: Int?, _ auth: AuthContext) throws -> String {
        let server = try server(id, auth)
        let paths = paths(server.id)
        var text = (try? String(contentsOfFile: paths.consoleLog + ".1", encoding: .utf8)) ?? ""
        text += (try? String(contentsOfFile: paths.consoleLog, encoding: .utf8)) ?? ""
        guard let lines else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// At start-up: a server whose QEMU still runs is adopted and ACTIVE,
    /// with its forwards brought up to date; one whose QEMU is gone is
    /// SHUTOFF. Nothing is deleted.
    public func reconcile() async {
        let servers = (try? store.servers()) ?? []
        let live: Set<VMState> = [.active, .building, .paused, .rescued]
        for server in servers where live.contains(server.vmState) {
            let alive = await supervisor.adopt(server.id, paths: paths(server.id))
            _ = try? store.updateServer(id: server.id) { stored in
                if alive {
                    stored.powerState = .running
                    if stored.vmState == .building { stored.vmState = .active }
                } else {
                    stored.vmState = stored.vmState == .building ? .error : .stopped
                    stored.powerState = .shutdown
                }
                stored.taskState = nil
            }
            logger.info("reconciled server", metadata: ["server.id": "\(server.id)", "running": "\(alive)"])
            // Access may have changed while Nimbus was down.
            if alive { await applyForwards(server.id) }
        }
    }
}
