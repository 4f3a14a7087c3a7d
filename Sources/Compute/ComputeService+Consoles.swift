import Foundation
import Identity
import NimbusCore

/// Remote consoles: a one-time token for a console URL, and what the token
/// opens (the serial console's fan-out, or the VNC socket).
extension ComputeService {
    /// A token for a console of a running server the caller may change.
    public func consoleToken(_ id: String, kind: ConsoleKind, _ auth: AuthContext) async throws -> String {
        let server = try runningForConsole(id, auth)
        guard await runtime.isRunning(server.id) else {
            throw NimbusError.conflict("Instance \(server.id) is not ready yet: it is \(server.status).")
        }
        return consoles.issue(kind, for: server.id)
    }

    /// The serial console a redeemed grant opens.
    public func serialConsole(for grant: ConsoleGrants.Grant) async throws -> SerialConsole {
        do { return try await runtime.console(grant.server) } catch {
            throw NimbusError.conflict("Instance \(grant.server) is not running.")
        }
    }

    /// The VNC socket a redeemed grant opens.
    public func vncSocket(for grant: ConsoleGrants.Grant) async throws -> String {
        guard await runtime.isRunning(grant.server) else {
            throw NimbusError.conflict("Instance \(grant.server) is not running.")
        }
        return paths(grant.server).vncSocket
    }
}

/// The screen and the keyboard, for unattended installs and thumbnails.
extension ComputeService {
    /// The guest's screen as PNG (QMP screendump).
    public func screenshot(_ id: String, _ auth: AuthContext) async throws -> Data {
        let server = try runningForConsole(id, auth)
        let file = paths(server.id).directory.appendingPathComponent("screen-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: file) }
        do { try await runtime.screendump(server.id, to: file.path) } catch ComputeError.notRunning {
            throw NimbusError.conflict("Instance \(server.id) is not running.")
        }
        return try Data(contentsOf: file)
    }

    /// Presses each chord in turn (`ctrl-alt-delete`), then types `text`.
    public func sendKeys(_ id: String, chords: [String], text: String?, _ auth: AuthContext) async throws {
        let presses = try chords.map(KeyboardInput.chord) + (try text.map(KeyboardInput.chords(typing:)) ?? [])
        guard !presses.isEmpty else { throw NimbusError.badRequest("Give keys to press or text to type.") }
        guard presses.count <= 4096 else { throw NimbusError.badRequest("At most 4096 keys at a time.") }
        let server = try runningForConsole(id, auth)
        do { try await runtime.press(server.id, presses) } catch ComputeError.notRunning {
            throw NimbusError.conflict("Instance \(server.id) is not running.")
        }
    }

    func runningForConsole(_ id: String, _ auth: AuthContext) throws -> Server {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-remote-consoles to be performed.")
        }
        guard [.active, .rescued, .paused].contains(server.vmState) else {
            throw NimbusError.conflict("Instance \(server.id) is not running: it is \(server.status).")
        }
        return server
    }
}
