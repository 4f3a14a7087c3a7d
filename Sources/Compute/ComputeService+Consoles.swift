import Foundation
import Identity
import NimbusCore

/// Remote consoles: a one-time token for a console URL, and what the token
/// opens (the serial console's fan-out, or the VNC socket).
extension ComputeService {
    /// A token for a console of a running server the caller may change.
    public func consoleToken(_ id: String, kind: ConsoleKind, _ auth: AuthContext) async throws -> String {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-remote-consoles to be performed.")
        }
        guard [.active, .rescued, .paused].contains(server.vmState), await supervisor.isRunning(server.id) else {
            throw NimbusError.conflict("Instance \(server.id) is not ready yet: it is \(server.status).")
        }
        return consoles.issue(kind, for: server.id)
    }

    /// The serial console a redeemed grant opens.
    public func serialConsole(for grant: ConsoleGrants.Grant) async throws -> SerialConsole {
        do { return try await supervisor.console(grant.server) } catch {
            throw NimbusError.conflict("Instance \(grant.server) is not running.")
        }
    }

    /// The VNC socket a redeemed grant opens.
    public func vncSocket(for grant: ConsoleGrants.Grant) async throws -> String {
        guard await supervisor.isRunning(grant.server) else {
            throw NimbusError.conflict("Instance \(grant.server) is not running.")
        }
        return paths(grant.server).vncSocket
    }
}
