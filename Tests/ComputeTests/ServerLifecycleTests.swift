import NimbusCore
import Testing
@testable import Compute

/// Every (state, event) pair of the server lifecycle against a table that
/// restates Nova's rules: which requests each vm_state allows, what each
/// piece of work settles in, and what guest events change.
@Suite("Server lifecycle")
struct ServerLifecycleTests {
    typealias Event = ServerLifecycle.Event
    typealias State = ServerLifecycle.State
    typealias Outcome = ServerLifecycle.Outcome

    static let iso = ImageID.generate()
    static let otherISO = ImageID.generate()
    static let rescueImage = ImageID.generate()
    static let snapshotImage = ImageID.generate()
    static let server = ServerID.generate()

    /// Every state a record can hold.
    static let states: [State] = VMState.allCases.flatMap { vm in
        ([nil] + TaskState.allCases).flatMap { task in
            PowerState.allCases.flatMap { power in
                driveVariants.flatMap { drives in
                    [nil, rescueImage].map { rescue in
                        State(vmState: vm, taskState: task, powerState: power, drives: drives, rescueImage: rescue)
                    }
                }
            }
        }
    }

    /// No drive (a server from a disk image), the installer's drive with
    /// its ISO, the same due to be ejected at the next reset, and emptied.
    static let driveVariants: [[CDDrive]] = [
        [], [CDDrive(id: "cd0", imageId: iso)], [CDDrive(id: "cd0", imageId: iso, ejectAtReboot: true)], [CDDrive(id: "cd0", imageId: nil)],
    ]

    /// Every event, with each kind of argument.
    static let events: [Event] = [
        .start, .stop, .pause, .unpause, .unrescue, .delete, .reboot(hard: false), .reboot(hard: true),
        .reboot(hard: false, boot: .cdrom), .reboot(hard: true, boot: .cdrom), .ejectAtReboot(drive: "cd0"), .ejectAtReboot(drive: "cd1"),
        .guestRebooting,
        .rescue(image: rescueImage), .createImage(snapshotImage), .rebuild(image: otherISO, drives: [CDDrive(id: "cd0", imageId: otherISO)]),
        .scheduled, .launched, .rebuilt, .launchFailed("no"), .poweredOff, .cpusPaused, .cpusResumed, .actionFailed("refused"),
        .imageCopied, .imageFinished, .destroyed, .adopted(alive: true), .adopted(alive: false),
        .guestExited, .guestReset, .trayMoved(drive: "cd0", open: true), .trayMoved(drive: "cd0", open: false),
        .trayMoved(drive: "config0", open: true), .guestPanicked,
        .eject(drive: "cd0", force: false), .eject(drive: "cd1", force: true), .insert(drive: "cd0", image: otherISO),
        .insert(drive: "cd1", image: otherISO), .mediaChangeFailed(CDDrive(id: "cd0", imageId: iso)),
        .mediaChangeFailed(CDDrive(id: "cd0", imageId: iso, ejectAtReboot: true)), .mediaChangeFailed(CDDrive(id: "cd1", imageId: nil)),
    ]

    // MARK: The table

    /// Nova's check_instance_state for each request: (action, allowed vm_states, task it starts, work).
    static let requests: [Event: (String, Set<VMState>, TaskState, ServerLifecycle.Effect)] = [
        .start: ("start", [.stopped], .poweringOn, .launch),
        .stop: ("stop", [.active, .error], .poweringOff, .powerOff(.guest)),
        .reboot(hard: false): ("reboot", [.active], .rebooting, .restart(.guest)),
        .reboot(hard: true): ("reboot", [.active, .stopped, .paused, .error], .rebootingHard, .restart(.none)),
        .reboot(hard: false, boot: .cdrom): ("reboot", [.active], .rebooting, .restart(.guest, boot: .cdrom)),
        .reboot(hard: true, boot: .cdrom): ("reboot", [.active, .stopped, .paused, .error], .rebootingHard, .restart(.none, boot: .cdrom)),
        .pause: ("pause", [.active], .pausing, .pauseCPUs),
        .unpause: ("unpause", [.paused], .unpausing, .resumeCPUs),
        .rescue(image: rescueImage): ("rescue", [.active, .stopped, .error], .rescuing, .restart(.guest)),
        .unrescue: ("unrescue", [.rescued], .unrescuing, .restart(.none)),
        .createImage(snapshotImage): ("createImage", [.active, .stopped, .paused], .imageSnapshot, .snapshot(snapshotImage)),
    ]

    /// What a finished piece of work settles in, by the task it finishes:
    /// (vm_state, or nil to keep it; power_state; task_state afterwards; fault).
    typealias Settled = (vm: VMState?, power: PowerState?, task: TaskState?, fault: String?)
    static let results: [Event: [TaskState: Settled]] = [
        .scheduled: [.scheduling: (nil, nil, .spawning, nil)],
        .launched: [
            .spawning: (.active, .running, nil, nil), .poweringOn: (.active, .running, nil, nil),
            .rebooting: (.active, .running, nil, nil), .rebootingHard: (.active, .running, nil, nil),
            .unrescuing: (.active, .running, nil, nil), .rescuing: (.rescued, .running, nil, nil),
            .rebuilding: (.active, .running, nil, nil), .deleting: (nil, .running, .deleting, nil),
        ],
        .launchFailed("no"): [
            .spawning: (.error, .noState, nil, "no"), .poweringOn: (.error, .shutdown, nil, "no"),
            .rebooting: (.error, .shutdown, nil, "no"), .rebootingHard: (.error, .shutdown, nil, "no"),
            .rescuing: (.error, .shutdown, nil, "no"), .unrescuing: (.error, .shutdown, nil, "no"),
            .rebuilding: (.error, .shutdown, nil, "no"), .deleting: (nil, .shutdown, .deleting, nil),
        ],
        .rebuilt: [.rebuilding: (.stopped, .shutdown, nil, nil)],
        .poweredOff: [.poweringOff: (.stopped, .shutdown, nil, nil), .deleting: (nil, .shutdown, .deleting, nil)],
        .cpusPaused: [.pausing: (.paused, .paused, nil, nil)],
        .cpusResumed: [.unpausing: (.active, .running, nil, nil)],
        .actionFailed("refused"): [.pausing: (nil, nil, nil, "refused"), .unpausing: (nil, nil, nil, "refused")],
        .imageCopied: [.imageSnapshot: (nil, nil, .imageUploading, nil)],
        .imageFinished: [.imageSnapshot: (nil, nil, nil, nil), .imageUploading: (nil, nil, nil, nil)],
    ]

    /// The expected answer for one pair, built from the tables above and
    /// the rules for deletes, adoption and guest events written out below.
    static func expected(_ state: State, _ event: Event) -> Result<Outcome, ServerLifecycle.Refusal> {
        var next = state
        let live = state.powerState == .running || state.powerState == .paused
        switch event {
        case .ejectAtReboot(let drive) where !live:
            // Nothing runs to reset: the disc goes now.
            return expected(state, .eject(drive: drive, force: true))
        case .ejectAtReboot(let drive):
            if let task = state.taskState { return .failure(.init(action: "eject", reason: .taskState(task))) }
            guard [.active, .paused, .rescued, .stopped, .error].contains(state.vmState) else {
                return .failure(.init(action: "eject", reason: .vmState(state.vmState)))
            }
            guard let index = state.drives.firstIndex(where: { $0.id == drive }) else {
                return .failure(.init(action: "eject", reason: .noSuchDrive(drive)))
            }
            guard state.drives[index].imageId != nil else { return .failure(.init(action: "eject", reason: .driveEmpty(drive))) }
            next.drives[index].ejectAtReboot = true
            return .success(Outcome(next, effects: [.holdReboots]))
        case .guestRebooting:
            // Queued work that stops or relaunches the VM ends the wait itself.
            if [.poweringOff, .rebooting, .rebootingHard, .rescuing, .unrescuing, .deleting].contains(state.taskState) {
                return .success(Outcome(emptied(state)))
            }
            let due = state.drives.filter(\.ejectAtReboot).map { ServerLifecycle.Effect.ejectMedium(drive: $0.id, force: true) }
            let resume = state.vmState != .paused && state.taskState != .pausing
            return .success(Outcome(emptied(state), effects: due + [.finishReboot(resume: resume)]))
        case .eject(let drive, _), .insert(let drive, _):
            let action = if case .eject = event { "eject" } else { "insert" }
            if let task = state.taskState { return .failure(.init(action: action, reason: .taskState(task))) }
            guard [.active, .paused, .rescued, .stopped, .error].contains(state.vmState) else {
                return .failure(.init(action: action, reason: .vmState(state.vmState)))
            }
            guard let index = state.drives.firstIndex(where: { $0.id == drive }) else {
                return .failure(.init(action: action, reason: .noSuchDrive(drive)))
            }
            next.drives[index].ejectAtReboot = false
            switch (event, state.drives[index].imageId) {
            case (.eject(_, let force), _?):
                next.drives[index].imageId = nil
                return .success(Outcome(next, effects: live ? [.ejectMedium(drive: drive, force: force)] : []))
            case (.eject, nil): return .failure(.init(action: action, reason: .driveEmpty(drive)))
            case (.insert(_, let image), nil):
                next.drives[index].imageId = image
                return .success(Outcome(next, effects: live ? [.insertMedium(drive: drive, image: image)] : []))
            default: return .failure(.init(action: action, reason: .driveFull(drive)))
            }
        case .rebuild(let image, let drives):
            // Nova's check_instance_state for rebuild; a stopped server is rebuilt without a launch.
            if let task = state.taskState { return .failure(.init(action: "rebuild", reason: .taskState(task))) }
            guard [.active, .stopped, .error].contains(state.vmState) else {
                return .failure(.init(action: "rebuild", reason: .vmState(state.vmState)))
            }
            next.taskState = .rebuilding
            next.image = image
            next.drives = drives
            return .success(Outcome(next, effects: [.rebuild(launch: state.vmState != .stopped)]))
        case .mediaChangeFailed(let drive):
            if let index = state.drives.firstIndex(where: { $0.id == drive.id }) { next.drives[index] = drive }
            return .success(Outcome(next))
        case .trayMoved(let drive, true):
            guard let index = state.drives.firstIndex(where: { $0.id == drive }), state.drives[index].imageId != nil else {
                return .success(Outcome(state))
            }
            next.drives[index].imageId = nil
            next.drives[index].ejectAtReboot = false
            return .success(Outcome(next, effects: live ? [.ejectMedium(drive: drive, force: true)] : []))
        default: break
        }
        if let (action, allowed, task, effect) = requests[event] {
            if let current = state.taskState { return .failure(.init(action: action, reason: .taskState(current))) }
            guard allowed.contains(state.vmState) else { return .failure(.init(action: action, reason: .vmState(state.vmState))) }
            if case .reboot(_, .cdrom) = event, !state.drives.contains(where: { $0.imageId != nil && !$0.ejectAtReboot }) {
                return .failure(.init(action: action, reason: .noDisc))
            }
            next.taskState = task
            if case .rescue(let image) = event { next.rescueImage = image }
            if event == .unrescue { next.rescueImage = nil }
            // Every request that boots the VM again takes the discs due at the next reset.
            if case .restart = effect { next = emptied(next) }
            return .success(Outcome(next, effects: [effect]))
        }
        if let byTask = results[event] {
            guard let task = state.taskState, let settled = byTask[task] else { return .success(Outcome(state)) }
            next.vmState = settled.vm ?? state.vmState
            next.powerState = settled.power ?? state.powerState
            next.taskState = settled.task
            if case .launchFailed = event, task == .rescuing { next.rescueImage = nil }
            // A VM that stopped has no reset to wait for.
            if event == .poweredOff { next = emptied(next) }
            return .success(Outcome(
                next, effects: event == .scheduled ? [.build] : [], fault: settled.fault,
                launched: event == .launched && task == .spawning))
        }
        switch event {
        case .delete:
            if state.taskState == .deleting { return .success(Outcome(state)) }
            next.taskState = .deleting
            return .success(Outcome(next, effects: [.destroy]))
        case .destroyed:
            return .success(Outcome(State(vmState: .deleted, powerState: .noState, drives: state.drives, rescueImage: state.rescueImage)))
        case .adopted(let alive):
            return .success(adoption(state, alive: alive))
        case .guestExited:
            let quiet: Set<TaskState?> = [nil, .imageSnapshot, .imageUploading, .pausing, .unpausing]
            guard quiet.contains(state.taskState) else { return .success(Outcome(state)) }
            if state.taskState == .pausing || state.taskState == .unpausing { next.taskState = nil }
            switch state.vmState {
            case .active, .paused, .rescued:
                next.vmState = .stopped
                next.rescueImage = nil
                next.powerState = .shutdown
                next = emptied(next)
            case .error:
                next.powerState = .shutdown
                next = emptied(next)
            default: break
            }
            return .success(Outcome(next))
        case .guestPanicked:
            guard ![.deleted, .building].contains(state.vmState), state.taskState != .deleting else { return .success(Outcome(state)) }
            next.powerState = .crashed
            return .success(Outcome(next, fault: "The guest operating system crashed (kernel panic)."))
        default:
            // A reset, a closed tray, another drive's tray: nothing to record.
            return .success(Outcome(state))
        }
    }

    /// Reconciliation at start-up, written out case by case.
    static func adoption(_ state: State, alive: Bool) -> Outcome {
        if state.taskState == .deleting { return Outcome(state, effects: [.destroy]) }
        if state.vmState == .deleted { return Outcome(state) }
        var next = state
        next.taskState = nil
        if alive {
            switch (state.taskState, state.vmState) {
            case (.rescuing?, _): next.vmState = .rescued
            case (.unrescuing?, _), (.spawning?, _), (.poweringOn?, _), (.rebooting?, _), (.rebootingHard?, _), (.rebuilding?, _):
                next.vmState = .active
            case (_, .building), (_, .stopped): next.vmState = .active
            default: break
            }
            next.powerState = next.vmState == .paused ? .paused : .running
            let pending = state.drives.contains(where: \.ejectAtReboot)
            return Outcome(next, effects: [.applyForwards] + (pending ? [.holdReboots] : []))
        }
        next = emptied(next)
        next.powerState = .shutdown
        switch state.vmState {
        case .building:
            next.vmState = .error
            return Outcome(next, fault: "Nimbus stopped while the server was being built.")
        case .active, .paused, .rescued, .stopped:
            next.vmState = .stopped
            next.rescueImage = nil
        default: break
        }
        return Outcome(next)
    }

    /// The state with every disc that waited for the next reset taken out.
    static func emptied(_ state: State) -> State {
        var next = state
        next.drives = state.drives.map { $0.ejectAtReboot ? CDDrive(id: $0.id, imageId: nil) : $0 }
        return next
    }

    // MARK: Tests

    @Test("every (state, event) pair gives what the table says")
    func everyPair() {
        var checked = 0
        var mismatches: [String] = []
        for state in Self.states {
            for event in Self.events {
                let actual: Result<Outcome, ServerLifecycle.Refusal> = Result { () throws(ServerLifecycle.Refusal) in
                    try ServerLifecycle.transition(state, event)
                }
                let expected = Self.expected(state, event)
                if actual != expected, mismatches.count < 10 {
                    mismatches.append("\(state) + \(event): \(actual) instead of \(expected)")
                }
                checked += 1
            }
        }
        #expect(checked == VMState.allCases.count * (TaskState.allCases.count + 1) * PowerState.allCases.count * Self.driveVariants.count * 2 * Self.events.count)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    @Test("a refused request says why in Nova's words")
    func novaWording() throws {
        let stopped = State(vmState: .stopped, powerState: .shutdown)
        let refusal = try #require(throws: ServerLifecycle.Refusal.self) { try ServerLifecycle.transition(stopped, .stop) }
        #expect(refusal.message(server: Self.server) == "Cannot 'stop' instance \(Self.server) while it is in vm_state stopped")
        let rebooting = State(vmState: .active, taskState: .rebooting, powerState: .running)
        let busy = try #require(throws: ServerLifecycle.Refusal.self) { try ServerLifecycle.transition(rebooting, .pause) }
        #expect(busy.message(server: Self.server) == "Cannot 'pause' instance \(Self.server) while it is in task_state rebooting")
    }

    @Test("an install from start to snapshot walks the states a user sees")
    func installWalk() throws {
        let installer = [CDDrive(id: "cd0", imageId: Self.iso)]
        var state = State(vmState: .building, taskState: .scheduling, powerState: .noState, drives: installer)
        func step(_ event: Event) throws -> [ServerLifecycle.Effect] {
            let outcome = try ServerLifecycle.transition(state, event)
            state = outcome.state
            return outcome.effects
        }
        #expect(try step(.scheduled) == [.build])
        #expect(try step(.launched).isEmpty)
        #expect(state == State(vmState: .active, powerState: .running, drives: installer))
        // The installer ejects its own disc (QEMU is told to let go of it),
        // then the user reboots into the installed disk.
        #expect(try step(.trayMoved(drive: "cd0", open: true)) == [.ejectMedium(drive: "cd0", force: true)])
        #expect(state.drives == [CDDrive(id: "cd0", imageId: nil)])
        #expect(try step(.reboot(hard: false)) == [.restart(.guest)])
        _ = try step(.launched)
        #expect(try step(.createImage(Self.snapshotImage)) == [.snapshot(Self.snapshotImage)])
        _ = try step(.imageCopied)
        #expect(state.taskState == .imageUploading)
        _ = try step(.imageFinished)
        #expect(state == State(vmState: .active, powerState: .running, drives: [CDDrive(id: "cd0", imageId: nil)]))
        // Another disc goes into the empty drive at once.
        #expect(try step(.insert(drive: "cd0", image: Self.otherISO)) == [.insertMedium(drive: "cd0", image: Self.otherISO)])
        #expect(try step(.delete) == [.destroy])
        _ = try step(.destroyed)
        #expect(state.vmState == .deleted)
    }
}

extension ServerLifecycle.Outcome: CustomStringConvertible {
    public var description: String { "\(state) effects \(effects) fault \(fault ?? "-") launched \(launched)" }
}
