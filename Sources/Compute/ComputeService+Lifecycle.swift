import Foundation
import Identity
import NimbusCore

extension Server {
    /// The part of the record the lifecycle decides on.
    var lifecycle: ServerLifecycle.State {
        get {
            ServerLifecycle.State(
                vmState: vmState, taskState: taskState, powerState: powerState, drives: drives, rescueImage: rescueImageId, image: imageId)
        }
        set {
            vmState = newValue.vmState
            taskState = newValue.taskState
            powerState = newValue.powerState
            drives = newValue.drives
            rescueImageId = newValue.rescueImage
            imageId = newValue.image
        }
    }
}

/// Where lifecycle events are applied and their effects carried out. Every
/// change of a server's state goes through `apply`: one transition, one
/// transaction; a failed write is never ignored.
extension ComputeService {
    typealias Event = ServerLifecycle.Event
    typealias Effect = ServerLifecycle.Effect

    /// Applies `event` to the server's record in one transaction (a server
    /// that becomes deleted is removed) after `check` accepts the record as
    /// it is now. Returns the server as recorded and the work to do; nil
    /// when there is no such server. A refused request is Nova's 409.
    func apply(
        _ event: Event, to id: ServerID, check: (Server) throws -> Void = { _ in }
    ) throws -> (server: Server, effects: [Effect])? {
        var effects: [Effect] = []
        let recorded = try store.updateServer(id: id) { server in
            try check(server)
            let outcome: ServerLifecycle.Outcome
            do { outcome = try ServerLifecycle.transition(server.lifecycle, event) } catch let refusal as ServerLifecycle.Refusal {
                let message = refusal.message(server: server.id)
                throw refusal.isNotFound ? NimbusError.notFound(message) : NimbusError.conflict(message)
            }
            server.lifecycle = outcome.state
            if let fault = outcome.fault { server.fault = ServerFault(code: 500, message: fault, created: Date()) }
            if outcome.launched { server.launchedAt = Date() }
            effects = outcome.effects
        }
        return recorded.map { ($0, effects) }
    }

    /// Applies an event nobody waits on (a result of work, a guest event).
    /// A write that fails is logged with the server's id and tried again;
    /// if it never succeeds, the loss is logged and the next start's
    /// reconciliation repairs the record.
    func record(_ event: Event, for id: ServerID) async -> [Effect] {
        for attempt in 1...3 {
            do {
                return try apply(event, to: id)?.effects ?? []
            } catch {
                logger.error("a lifecycle change was not recorded", metadata: [
                    "server.id": "\(id)", "event": "\(event)", "attempt": "\(attempt)", "error": "\(error)",
                ])
                try? await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
        logger.critical("a lifecycle change was lost; it is repaired at the next start", metadata: ["server.id": "\(id)", "event": "\(event)"])
        return []
    }

    /// A request through the API: the caller may change the server, the
    /// server is not locked (admins may act on locked servers), and the
    /// lifecycle allows it. Its work is queued behind the server's other work.
    @discardableResult
    func request(_ event: Event, _ id: String, rule: String, _ auth: AuthContext) throws -> (server: Server, work: Task<Void, Never>) {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:\(rule) to be performed.")
        }
        // Once shutdown began no work runs: accepting the request would leave its task behind.
        guard !operations.isClosed else { throw NimbusError.conflict("Nimbus is shutting down; try again once it is back.") }
        guard let (server, effects) = try apply(event, to: found.id, check: { current in
            if current.locked, !Policy.isAdmin(auth) { throw NimbusError.conflict("Instance \(current.id) is locked") }
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return (server, schedule(effects, for: server.id))
    }

    /// Queues the work of a transition in the server's turn.
    @discardableResult
    func schedule(_ effects: [Effect], for id: ServerID) -> Task<Void, Never> {
        operations.enqueue(id) { await carryOut(effects, for: id) }
    }

    /// Applies an event in the server's turn, after the work already queued,
    /// and carries out what it asks for. `generation` says which launch of
    /// the VM a guest event came from.
    @discardableResult
    func deliver(_ event: Event, to id: ServerID, generation: Int? = nil) -> Task<Void, Never> {
        operations.enqueue(id) {
            guard let event = await confirmed(event, for: id, generation: generation) else { return }
            await carryOut(await record(event, for: id), for: id)
        }
    }

    /// A guest event says "go and look": by the server's turn the VM may
    /// have changed (a reboot started a new QEMU; an insert opened and closed
    /// the tray), so what counts is how it is now. nil: the event is stale.
    func confirmed(_ event: Event, for id: ServerID, generation: Int?) async -> Event? {
        let current = await runtime.generation(id)
        // From a VM that was since replaced by another launch.
        let earlier = generation != nil && current != nil && generation != current
        switch event {
        case .guestExited:
            // A QEMU that exits while another runs is an old one.
            guard current == nil else {
                logger.debug("a stale exit is ignored", metadata: ["server.id": "\(id)"])
                return nil
            }
            return event
        case .guestReset, .guestPanicked:
            return earlier ? nil : event
        case .guestRebooting:
            // Only a VM that still waits at its reset can be let go.
            return earlier || current == nil ? nil : event
        case .trayMoved(let drive, let open):
            guard guestEjectCounts(id) else { return nil }
            // The guest of an earlier launch ejected its disc: that stands.
            guard !earlier else { return event }
            do {
                guard let status = try await runtime.driveStatus(id).first(where: { $0.drive == drive }) else { return event }
                return .trayMoved(drive: drive, open: status.trayOpen)
            } catch {
                logger.warning("a tray could not be checked; the event is taken as it came", metadata: ["server.id": "\(id)", "error": "\(error)"])
                return .trayMoved(drive: drive, open: open)
            }
        default:
            return event
        }
    }

    /// Does each piece of work and records its results, until the server settles.
    func carryOut(_ effects: [Effect], for id: ServerID) async {
        var work = effects
        while !work.isEmpty {
            let effect = work.removeFirst()
            for event in await perform(effect, on: id) {
                work += await record(event, for: id)
            }
        }
    }

    /// One piece of work, and the events that say how it went.
    func perform(_ effect: Effect, on id: ServerID) async -> [Event] {
        switch effect {
        case .build:
            return [await build(id)]
        case .launch:
            return [await launch(id)]
        case .powerOff(let grace):
            await runtime.stop(id, paths: paths(id), grace: duration(of: grace, for: id))
            return [.poweredOff]
        case .restart(let grace, let boot):
            await runtime.stop(id, paths: paths(id), grace: duration(of: grace, for: id))
            return [await launch(id, bootingFrom: boot)]
        case .pauseCPUs:
            do { try await runtime.pause(id) } catch { return [.actionFailed(Self.faultMessage(error))] }
            return [.cpusPaused]
        case .resumeCPUs:
            do { try await runtime.resume(id) } catch { return [.actionFailed(Self.faultMessage(error))] }
            return [.cpusResumed]
        case .rebuild(let launch):
            // A hard stop: the disk it would protect is about to be replaced.
            await runtime.stop(id, paths: paths(id), grace: .zero)
            return [await rebuild(id, launch: launch)]
        case .snapshot(let image):
            return await snapshot(id, into: image)
        case .destroy:
            await destroy(id)
            return [.destroyed]
        case .applyForwards:
            await applyForwards(id)
            return []
        case .finishReboot(let resume):
            return await finishReboot(id, resume: resume)
        case .ejectMedium, .insertMedium, .holdReboots:
            // Asked through the API, a media change runs in `changeMedia`,
            // which answers its caller; here it follows a guest's eject or
            // reset, or an adoption.
            do { try await changeMedium(effect, on: id) } catch {
                logger.error("a drive's medium was not changed", metadata: ["server.id": "\(id)", "effect": "\(effect)", "error": "\(error)"])
            }
            return []
        }
    }

    /// Lets a VM held at its guest's reset boot on, once its drives are as
    /// the record says. A disc that did not come out, or a VM that cannot be
    /// let go, is started afresh from the record rather than left waiting;
    /// if that fails too, the server is SHUTOFF, not falsely ACTIVE.
    func finishReboot(_ id: ServerID, resume: Bool) async -> [Event] {
        do {
            let recorded = try store.server(id: id)?.drives ?? []
            let live = try await runtime.driveStatus(id)
            let stuck = recorded.filter { drive in drive.imageId == nil && live.contains { $0.drive == drive.id && $0.hasMedium } }
            if stuck.isEmpty {
                try await runtime.finishReboot(id, resume: resume)
                return []
            }
            logger.warning("a disc due at the reset did not come out; the VM starts afresh", metadata: ["server.id": "\(id)"])
        } catch {
            logger.error("a VM held at its reset was not let go; it starts afresh", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
        await runtime.stop(id, paths: paths(id), grace: .zero)
        if case .launchFailed = await launch(id) { return [.guestExited] }
        return []
    }

    /// Whether a guest's own eject takes the disc out (the default), or the
    /// disc stays in its drive for the next boot: the image property
    /// nimbus_guest_eject=false, for installers that eject but are meant to
    /// be booted again.
    func guestEjectCounts(_ id: ServerID) -> Bool {
        do {
            guard let imageID = try store.server(id: id)?.imageId, let image = try store.image(id: imageID) else { return true }
            return image.properties["nimbus_guest_eject"]?.lowercased() != "false"
        } catch {
            logger.warning("the image's nimbus_guest_eject could not be read; the eject counts", metadata: ["server.id": "\(id)", "error": "\(error)"])
            return true
        }
    }

    /// How long a guest gets to power off on its own before it is stopped
    /// hard: the image property os_shutdown_timeout (seconds) as in Nova,
    /// else Nova's default of 60 s.
    func duration(of grace: ServerLifecycle.Grace, for id: ServerID) -> Duration {
        guard grace == .guest else { return .zero }
        var seconds = 60
        do {
            if let imageID = try store.server(id: id)?.imageId, let image = try store.image(id: imageID),
               let timeout = image.properties["os_shutdown_timeout"].flatMap(Int.init) {
                seconds = timeout
            }
        } catch {
            logger.warning("the image's shutdown timeout could not be read; using 60 s", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
        return .seconds(max(0, min(seconds, 3600)))
    }

    /// The VM, its files and its ports go; the record follows with `destroyed`.
    func destroy(_ id: ServerID) async {
        let paths = paths(id)
        await runtime.stop(id, paths: paths, grace: .zero)
        paths.remove()
        consoles.revoke(server: id)
        do {
            if let server = try store.server(id: id) {
                _ = try networks.releasePorts(deviceID: id.rawValue, project: server.projectId, preserving: Set(server.preservedPortIds))
            }
        } catch {
            logger.error("the server's ports were not released", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
        logger.info("server deleted", metadata: ["server.id": "\(id)"])
    }
}
