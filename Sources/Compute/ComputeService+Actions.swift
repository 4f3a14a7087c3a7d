import Foundation
import Identity
import Images
import NimbusCore

/// Server actions: stop, start, reboot. Each is accepted (202) once its
/// preconditions hold, as in Nova, and carried out in the background.
extension ComputeService {
    /// How long a guest gets to power off on its own before it is stopped
    /// hard: the image property os_shutdown_timeout (seconds) as in Nova, else
    /// Nova's default of 60 s.
    func shutdownTimeout(_ server: Server) -> Duration {
        let image = server.imageId.flatMap { try? store.image(id: $0) }
        let seconds = image?.properties["os_shutdown_timeout"].flatMap(Int.init) ?? 60
        return .seconds(max(0, min(seconds, 3600)))
    }

    public func stop(_ id: String, _ auth: AuthContext) throws {
        let server = try claim(id, action: "stop", from: [.active, .error], task: .poweringOff, auth)
        operations.enqueue(server.id) {
            await supervisor.stop(server.id, paths: paths(server.id), grace: shutdownTimeout(server))
            settle(server.id, vmState: .stopped, power: .shutdown)
        }
    }

    public func start(_ id: String, _ auth: AuthContext) throws {
        let server = try claim(id, action: "start", from: [.stopped], task: .poweringOn, auth)
        operations.enqueue(server.id) { await relaunch(server, auth: auth) }
    }

    /// SOFT asks the guest to shut down (ACPI) and starts it again, hard after
    /// the timeout; HARD stops QEMU at once and starts it again.
    public func reboot(_ id: String, hard: Bool, _ auth: AuthContext) throws {
        let allowed: Set<VMState> = hard ? [.active, .stopped, .error] : [.active]
        let server = try claim(id, action: "reboot", from: allowed, task: hard ? .rebootingHard : .rebooting, auth)
        operations.enqueue(server.id) {
            await supervisor.stop(server.id, paths: paths(server.id), grace: hard ? .zero : shutdownTimeout(server))
            await relaunch(server, auth: auth)
        }
    }

    /// Checks that the caller may act and that the server is in a state that
    /// allows the action, then records the task; Nova's 409 wording otherwise.
    func claim(_ id: String, action: String, from states: Set<VMState>, task: TaskState, _ auth: AuthContext) throws -> Server {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:servers:\(action) to be performed.")
        }
        if found.locked, !Policy.isAdmin(auth) { throw NimbusError.conflict("Instance \(found.id) is locked") }
        guard let claimed = try store.updateServer(id: found.id, { server in
            if let current = server.taskState {
                throw NimbusError.conflict("Cannot '\(action)' instance \(server.id) while it is in task_state \(current.rawValue)")
            }
            guard states.contains(server.vmState) else {
                throw NimbusError.conflict("Cannot '\(action)' instance \(server.id) while it is in vm_state \(server.vmState.rawValue)")
            }
            server.taskState = task
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return claimed
    }

    /// Starts the VM again on its disk, with the installer CD if it was not
    /// ejected (and the rescue medium while rescued), and settles in `state`.
    func relaunch(_ server: Server, auth: AuthContext, as state: VMState = .active) async {
        do {
            guard let imageID = server.imageId, let image = try store.image(id: imageID) else {
                throw NimbusError.conflict("The image of server \(server.id) no longer exists.")
            }
            let cdrom = try server.cdromImageId.flatMap { id in try store.image(id: id)?.blob }.map { try images.blobs.url(for: $0).path }
            try await launch(server, image: image, cdrom: cdrom)
            settle(server.id, vmState: state, power: .running)
        } catch {
            recordStartFailure(server.id, error, power: .shutdown)
        }
    }

    func settle(_ id: ServerID, vmState: VMState, power: PowerState) {
        _ = try? store.updateServer(id: id) { server in
            server.vmState = vmState
            server.powerState = power
            server.taskState = nil
        }
    }

    /// What the guest did by itself: powering off makes the server SHUTOFF,
    /// as when a user runs `poweroff` inside it.
    public func handle(_ event: InstanceSupervisor.GuestEvent, for id: ServerID) async {
        switch event {
        case .exited:
            guard let server = try? store.server(id: id), server.taskState == nil, server.vmState == .active else { return }
            settle(id, vmState: .stopped, power: .shutdown)
            logger.info("the guest powered off", metadata: ["server.id": "\(id)"])
        case .trayMoved(let device, let open):
            logger.info("CD tray moved", metadata: ["server.id": "\(id)", "device": "\(device)", "open": "\(open)"])
        default:
            break
        }
    }
}

extension ComputeService {
    /// Pause freezes the guest's CPUs in place (QMP stop); unpause lets them run on.
    public func pause(_ id: String, _ auth: AuthContext) async throws {
        let server = try claim(id, action: "pause", from: [.active], task: .pausing, auth)
        await runQuick(server, to: .paused, power: .paused) { try await supervisor.pause(server.id) }
    }

    public func unpause(_ id: String, _ auth: AuthContext) async throws {
        let server = try claim(id, action: "unpause", from: [.paused], task: .unpausing, auth)
        await runQuick(server, to: .active, power: .running) { try await supervisor.resume(server.id) }
    }

    /// A monitor command that takes a moment: done before answering, and the
    /// server keeps its state (with a fault) if QEMU refuses.
    private func runQuick(_ server: Server, to state: VMState, power: PowerState, _ command: () async throws -> Void) async {
        do {
            try await command()
            settle(server.id, vmState: state, power: power)
        } catch {
            _ = try? store.updateServer(id: server.id) { stored in
                stored.taskState = nil
                stored.fault = ServerFault(code: 500, message: Self.faultMessage(error), created: Date())
            }
        }
    }

    /// A locked server refuses actions from anyone but an admin.
    public func setLocked(_ locked: Bool, _ id: String, _ auth: AuthContext) throws {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-lock-server:\(locked ? "lock" : "unlock") to be performed.")
        }
        _ = try store.updateServer(id: server.id) { $0.locked = locked }
    }
}
