import NimbusCore

/// A server's lifecycle as data and one pure function: what a server is
/// (Nova's vm_state, task_state and power_state, and what is in its drives),
/// the events that move it (API requests, results of the runtime's work,
/// what the guest did), and what must happen next (effects, which the
/// compute service carries out and whose results come back as events).
///
/// Nothing here does I/O, so every (state, event) pair is tested in a table;
/// `ComputeService.apply` is the one place a transition is written.
public enum ServerLifecycle {
    /// The part of a server the lifecycle decides on.
    public struct State: Sendable, Equatable, Hashable {
        public var vmState: VMState
        public var taskState: TaskState?
        public var powerState: PowerState
        /// The CD drives and what is in them.
        public var drives: [CDDrive]
        /// While rescued (or being rescued): the image booted first.
        public var rescueImage: ImageID?
        /// The image the server is built from (a rebuild changes it).
        public var image: ImageID?

        public init(
            vmState: VMState, taskState: TaskState? = nil, powerState: PowerState, drives: [CDDrive] = [],
            rescueImage: ImageID? = nil, image: ImageID? = nil
        ) {
            self.vmState = vmState
            self.taskState = taskState
            self.powerState = powerState
            self.drives = drives
            self.rescueImage = rescueImage
            self.image = image
        }

        /// Whether a VM exists to act on now (running or paused); otherwise
        /// changes are only recorded, for the next start.
        var isLive: Bool { powerState == .running || powerState == .paused }

        /// Whether a disc waits to be ejected at the guest's next reset.
        var ejectsPending: Bool { drives.contains(where: \.ejectAtReboot) }

        /// The discs waiting for the next reset go now: the VM is about to
        /// boot again (or has stopped), and the record says what it boots with.
        mutating func ejectPending() {
            for index in drives.indices where drives[index].ejectAtReboot {
                drives[index].imageId = nil
                drives[index].ejectAtReboot = false
            }
        }
    }

    /// Which device a boot starts from.
    public enum BootDevice: String, Sendable, Equatable, Hashable, CaseIterable {
        /// The usual order: the root disk, then the CD drives.
        case disk
        /// The CD drives first, for this one boot (to repair or reinstall).
        case cdrom
    }

    /// How long a guest is given to power off by itself before it is stopped hard.
    public enum Grace: Sendable, Equatable, Hashable {
        /// At once (a hard reboot, a delete).
        case none
        /// The image's os_shutdown_timeout (Nova's default: 60 s).
        case guest
    }

    public enum Event: Sendable, Equatable, Hashable {
        // Requests, through the API. Refused with Nova's 409 when the state does not allow them.
        case start, stop, pause, unpause, unrescue, delete
        /// A reboot; `boot: .cdrom` starts this one boot from the CD drives.
        case reboot(hard: Bool, boot: BootDevice = .disk)
        case rescue(image: ImageID)
        /// A new root disk from `image`, with the drives as they will be
        /// (the installer's drive holds an ISO image); a stopped server stays stopped.
        case rebuild(image: ImageID, drives: [CDDrive])
        case createImage(ImageID)
        /// Takes the medium out of a drive (`force`: even when the guest locked the tray).
        case eject(drive: String, force: Bool)
        /// Puts an ISO image into an empty drive.
        case insert(drive: String, image: ImageID)
        /// Takes the medium out of a drive at the guest's next reset; the
        /// guest reads it until then. A VM that does not run loses it now.
        case ejectAtReboot(drive: String)

        // Results of the work effects asked for.
        /// A new server's turn came: it is being built now.
        case scheduled
        /// The VM runs (after a build, start, reboot, rescue, unrescue or rebuild).
        case launched
        /// A stopped server's new root disk is made; it stays stopped.
        case rebuilt
        /// The VM could not be started; the words are the server's fault.
        case launchFailed(String)
        /// A stop finished: QEMU is gone.
        case poweredOff
        case cpusPaused, cpusResumed
        /// A quick monitor command (pause, unpause) was refused.
        case actionFailed(String)
        /// A snapshot's disk is copied; it is being uploaded.
        case imageCopied
        /// A snapshot is uploaded, or failed (and its image is gone).
        case imageFinished
        /// The VM, disks and ports are gone: the record goes too.
        case destroyed
        /// At start-up: whether the server's QEMU outlived the last Nimbus.
        case adopted(alive: Bool)
        /// A live media change failed: the drive is as it was before.
        case mediaChangeFailed(CDDrive)

        // What the guest did, through QMP.
        /// QEMU went away without being asked (the guest powered off, or QEMU died).
        case guestExited
        /// The guest reset (a reboot from inside).
        case guestReset
        /// The guest asked to reset while reboots are held (`holdReboots`):
        /// the VM waits, paused, for `finishReboot`.
        case guestRebooting
        /// A CD drive's tray opened or closed (the guest ejected, or closed it again).
        case trayMoved(drive: String, open: Bool)
        /// The guest's kernel panicked (pvpanic).
        case guestPanicked
    }

    /// Work for the compute service; each ends in a result event.
    public enum Effect: Sendable, Equatable, Hashable {
        /// Makes the disks and launches the VM: `launched` or `launchFailed`.
        case build
        /// Launches the VM on its existing disks: `launched` or `launchFailed`.
        case launch
        /// Stops the VM: `poweredOff`.
        case powerOff(Grace)
        /// Stops the VM, then launches it again (once from `boot`): `launched` or `launchFailed`.
        case restart(Grace, boot: BootDevice = .disk)
        /// Freezes or thaws the guest's CPUs: `cpusPaused`/`cpusResumed` or `actionFailed`.
        case pauseCPUs, resumeCPUs
        /// Stops the VM, makes a new root disk from the server's image, and
        /// launches it when `launch`: `launched` or `rebuilt`, or `launchFailed`.
        case rebuild(launch: Bool)
        /// Copies the root disk into the image and uploads it: `imageCopied`, then `imageFinished`.
        case snapshot(ImageID)
        /// Stops the VM and removes its files and ports: `destroyed`.
        case destroy
        /// Brings a VM's host forwards up to date (after adoption).
        case applyForwards
        /// Takes the medium out of a running VM's drive: nothing, or `mediaChangeFailed`.
        case ejectMedium(drive: String, force: Bool)
        /// Puts the image into a running VM's drive: nothing, or `mediaChangeFailed`.
        case insertMedium(drive: String, image: ImageID)
        /// Makes the running VM wait at its guest's next reset, which then
        /// comes as `guestRebooting`: nothing, or `mediaChangeFailed`.
        case holdReboots
        /// Lets a VM held at its guest's reset boot again, with reboots no
        /// longer held; `resume`: its CPUs run (not for a paused server).
        case finishReboot(resume: Bool)
    }

    /// A transition's result: the state to record, the work to do, and what to note on the record.
    public struct Outcome: Sendable, Equatable {
        public var state: State
        public var effects: [Effect]
        /// A fault to record, in words for the user.
        public var fault: String?
        /// The first launch succeeded (Nova's launched_at).
        public var launched: Bool

        init(_ state: State, effects: [Effect] = [], fault: String? = nil, launched: Bool = false) {
            self.state = state
            self.effects = effects
            self.fault = fault
            self.launched = launched
        }
    }

    /// A request the state does not allow, in Nova's words.
    public struct Refusal: Error, Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            case taskState(TaskState)
            case vmState(VMState)
            /// The server has no drive of this id (a 404).
            case noSuchDrive(String)
            case driveEmpty(String)
            case driveFull(String)
            /// A boot from CD with no disc in any drive.
            case noDisc
        }
        public var action: String
        public var reason: Reason

        /// Nova's InstanceInvalidState message.
        public func message(server: ServerID) -> String {
            switch reason {
            case .taskState(let task): "Cannot '\(action)' instance \(server) while it is in task_state \(task.rawValue)"
            case .vmState(let vm): "Cannot '\(action)' instance \(server) while it is in vm_state \(vm.rawValue)"
            case .noSuchDrive(let drive): "Instance \(server) has no CD drive \(drive)."
            case .driveEmpty(let drive): "Cannot '\(action)' instance \(server): drive \(drive) is empty."
            case .driveFull(let drive): "Cannot '\(action)' instance \(server): drive \(drive) holds a disc; eject it first."
            case .noDisc: "Cannot '\(action)' instance \(server) from CD: no CD drive holds a disc; insert one first."
            }
        }

        /// Whether the refusal means "not found" rather than "not now".
        public var isNotFound: Bool {
            if case .noSuchDrive = reason { true } else { false }
        }
    }

    /// The drive the installer ISO sits in.
    public static let installerDrive = "cd0"

    /// The vm_states each request is allowed from (Nova's check_instance_state),
    /// with the task it starts and the work it asks for. A request is refused
    /// while another task is under way.
    static func request(_ event: Event) -> (action: String, from: Set<VMState>, task: TaskState, effect: Effect)? {
        switch event {
        case .start: ("start", [.stopped], .poweringOn, .launch)
        case .stop: ("stop", [.active, .error], .poweringOff, .powerOff(.guest))
        case .reboot(hard: false, let boot): ("reboot", [.active], .rebooting, .restart(.guest, boot: boot))
        case .reboot(hard: true, let boot): ("reboot", [.active, .stopped, .paused, .error], .rebootingHard, .restart(.none, boot: boot))
        case .pause: ("pause", [.active], .pausing, .pauseCPUs)
        case .unpause: ("unpause", [.paused], .unpausing, .resumeCPUs)
        case .rescue: ("rescue", [.active, .stopped, .error], .rescuing, .restart(.guest))
        case .unrescue: ("unrescue", [.rescued], .unrescuing, .restart(.none))
        case .createImage(let image): ("createImage", [.active, .stopped, .paused], .imageSnapshot, .snapshot(image))
        default: nil
        }
    }

    /// The one transition function.
    public static func transition(_ state: State, _ event: Event) throws(Refusal) -> Outcome {
        switch event {
        case .eject(let drive, let force): return try media("eject", state, drive: drive, to: nil, effect: .ejectMedium(drive: drive, force: force))
        case .insert(let drive, let image): return try media("insert", state, drive: drive, to: image, effect: .insertMedium(drive: drive, image: image))
        case .ejectAtReboot(let drive): return try deferredEject(state, drive: drive)
        case .rebuild(let image, let drives):
            // Nova's check_instance_state for rebuild: not while rescued, paused or busy.
            if let task = state.taskState { throw Refusal(action: "rebuild", reason: .taskState(task)) }
            guard [VMState.active, .stopped, .error].contains(state.vmState) else {
                throw Refusal(action: "rebuild", reason: .vmState(state.vmState))
            }
            var next = state
            next.taskState = .rebuilding
            next.image = image
            next.drives = drives
            return Outcome(next, effects: [.rebuild(launch: state.vmState != .stopped)])
        default: break
        }
        if let request = request(event) {
            if let task = state.taskState { throw Refusal(action: request.action, reason: .taskState(task)) }
            guard request.from.contains(state.vmState) else { throw Refusal(action: request.action, reason: .vmState(state.vmState)) }
            var next = state
            next.taskState = request.task
            switch event {
            case .rescue(let image): next.rescueImage = image
            // The record says what the VM boots next: no rescue image.
            case .unrescue: next.rescueImage = nil
            case .reboot(_, boot: .cdrom):
                guard state.drives.contains(where: { $0.imageId != nil && !$0.ejectAtReboot }) else {
                    throw Refusal(action: request.action, reason: .noDisc)
                }
            default: break
            }
            // A VM about to boot again loses the discs waiting for its next reset.
            if case .restart = request.effect { next.ejectPending() }
            return Outcome(next, effects: [request.effect])
        }
        return result(state, event)
    }

    /// States a drive's medium may change in: a VM that runs (changed at
    /// once) or one that does not (changed for the next start).
    static let mediaStates: Set<VMState> = [.active, .paused, .rescued, .stopped, .error]

    /// Eject (`image` nil) or insert: the record changes now, and a running
    /// VM's drive with it.
    static func media(_ action: String, _ state: State, drive: String, to image: ImageID?, effect: Effect) throws(Refusal) -> Outcome {
        if let task = state.taskState { throw Refusal(action: action, reason: .taskState(task)) }
        guard mediaStates.contains(state.vmState) else { throw Refusal(action: action, reason: .vmState(state.vmState)) }
        guard let index = state.drives.firstIndex(where: { $0.id == drive }) else { throw Refusal(action: action, reason: .noSuchDrive(drive)) }
        switch (state.drives[index].imageId, image) {
        case (nil, nil): throw Refusal(action: action, reason: .driveEmpty(drive))
        case (_?, _?): throw Refusal(action: action, reason: .driveFull(drive))
        default: break
        }
        var next = state
        next.drives[index].imageId = image
        next.drives[index].ejectAtReboot = false
        return Outcome(next, effects: state.isLive ? [effect] : [])
    }

    /// An eject at the guest's next reset: the disc stays readable until
    /// then, and the VM is made to wait at that reset so the disc is out
    /// before the firmware looks for a boot device. A VM that does not run
    /// has no reset to wait for: its disc goes now.
    static func deferredEject(_ state: State, drive: String) throws(Refusal) -> Outcome {
        guard state.isLive else {
            return try media("eject", state, drive: drive, to: nil, effect: .ejectMedium(drive: drive, force: true))
        }
        if let task = state.taskState { throw Refusal(action: "eject", reason: .taskState(task)) }
        guard mediaStates.contains(state.vmState) else { throw Refusal(action: "eject", reason: .vmState(state.vmState)) }
        guard let index = state.drives.firstIndex(where: { $0.id == drive }) else { throw Refusal(action: "eject", reason: .noSuchDrive(drive)) }
        guard state.drives[index].imageId != nil else { throw Refusal(action: "eject", reason: .driveEmpty(drive)) }
        var next = state
        next.drives[index].ejectAtReboot = true
        return Outcome(next, effects: [.holdReboots])
    }

    /// Everything but requests: never refused, at most ignored.
    static func result(_ state: State, _ event: Event) -> Outcome {
        var next = state
        let task = state.taskState
        switch event {
        case .delete:
            // Allowed in any state, as in Nova; a second delete adds no work.
            guard task != .deleting else { return Outcome(state) }
            next.taskState = .deleting
            return Outcome(next, effects: [.destroy])

        case .destroyed:
            next.vmState = .deleted
            next.taskState = nil
            next.powerState = .noState
            return Outcome(next)

        case .scheduled:
            guard task == .scheduling else { return Outcome(state) }
            next.taskState = .spawning
            return Outcome(next, effects: [.build])

        case .launched:
            if task == .deleting {
                next.powerState = .running
                return Outcome(next)
            }
            let settled: VMState
            switch task {
            case .spawning?, .poweringOn?, .rebooting?, .rebootingHard?, .unrescuing?, .rebuilding?: settled = .active
            case .rescuing?: settled = .rescued
            default: return Outcome(state)
            }
            next.vmState = settled
            next.taskState = nil
            next.powerState = .running
            return Outcome(next, launched: task == .spawning)

        case .launchFailed(let reason):
            switch task {
            case .spawning?: next.powerState = .noState
            case .poweringOn?, .rebooting?, .rebootingHard?, .rescuing?, .unrescuing?, .rebuilding?: next.powerState = .shutdown
            case .deleting?:
                next.powerState = .shutdown
                return Outcome(next)
            default: return Outcome(state)
            }
            next.vmState = .error
            next.taskState = nil
            // A rescue that did not start is over: the next boot is the server's own.
            if task == .rescuing { next.rescueImage = nil }
            return Outcome(next, fault: reason)

        case .rebuilt:
            guard task == .rebuilding else { return Outcome(state) }
            next.vmState = .stopped
            next.taskState = nil
            next.powerState = .shutdown
            return Outcome(next)

        case .poweredOff:
            switch task {
            case .poweringOff?:
                next.vmState = .stopped
                next.taskState = nil
            case .deleting?: break
            default: return Outcome(state)
            }
            next.powerState = .shutdown
            next.ejectPending()
            return Outcome(next)

        case .cpusPaused:
            guard task == .pausing else { return Outcome(state) }
            next.vmState = .paused
            next.taskState = nil
            next.powerState = .paused
            return Outcome(next)

        case .cpusResumed:
            guard task == .unpausing else { return Outcome(state) }
            next.vmState = .active
            next.taskState = nil
            next.powerState = .running
            return Outcome(next)

        case .actionFailed(let reason):
            guard task == .pausing || task == .unpausing else { return Outcome(state) }
            next.taskState = nil
            return Outcome(next, fault: reason)

        case .imageCopied:
            guard task == .imageSnapshot else { return Outcome(state) }
            next.taskState = .imageUploading
            return Outcome(next)

        case .imageFinished:
            guard task == .imageSnapshot || task == .imageUploading else { return Outcome(state) }
            next.taskState = nil
            return Outcome(next)

        case .adopted(let alive):
            return adopted(state, alive: alive)

        case .guestExited:
            // While a task is under way its own work decides (a stop expects
            // the exit); a snapshot, pause or unpause does not end the VM's
            // life, so they do not.
            let quiet: Set<TaskState?> = [nil, .imageSnapshot, .imageUploading, .pausing, .unpausing]
            guard quiet.contains(task) else { return Outcome(state) }
            // A pause or unpause under way finds no VM: that task is over too.
            if task == .pausing || task == .unpausing { next.taskState = nil }
            switch state.vmState {
            case .active, .paused, .rescued:
                next.vmState = .stopped
                // A rescue ends with its VM.
                next.rescueImage = nil
            case .error: break
            case .building, .stopped, .deleted: return Outcome(next)
            }
            next.powerState = .shutdown
            next.ejectPending()
            return Outcome(next)

        case .guestReset:
            return Outcome(state)

        case .guestRebooting:
            // The VM waits at its reset: the discs due go out, then it boots
            // again. Work already queued that stops or relaunches it (a stop,
            // reboot, rescue, delete) finds it waiting and ends it instead.
            next.ejectPending()
            let ending: Set<TaskState?> = [.poweringOff, .rebooting, .rebootingHard, .rescuing, .unrescuing, .deleting]
            guard !ending.contains(task) else { return Outcome(next) }
            let ejects = zip(state.drives, next.drives).compactMap { before, after in
                before.imageId != after.imageId ? Effect.ejectMedium(drive: before.id, force: true) : nil
            }
            // A paused server stays paused: reset now, its CPUs run at unpause.
            let resume = state.vmState != .paused && task != .pausing
            return Outcome(next, effects: ejects + [.finishReboot(resume: resume)])

        case .trayMoved(let drive, let open):
            // A guest that opens a tray has ejected the disc: the record says
            // so, QEMU lets go of it (so closing the tray does not bring it
            // back), and the next boot cannot land in the installer.
            guard open, let index = state.drives.firstIndex(where: { $0.id == drive }), state.drives[index].imageId != nil else {
                return Outcome(state)
            }
            next.drives[index].imageId = nil
            next.drives[index].ejectAtReboot = false
            return Outcome(next, effects: state.isLive ? [.ejectMedium(drive: drive, force: true)] : [])

        case .mediaChangeFailed(let drive):
            guard let index = state.drives.firstIndex(where: { $0.id == drive.id }) else { return Outcome(state) }
            next.drives[index] = drive
            return Outcome(next)

        case .guestPanicked:
            guard state.vmState != .deleted, state.vmState != .building, task != .deleting else { return Outcome(state) }
            next.powerState = .crashed
            return Outcome(next, fault: "The guest operating system crashed (kernel panic).")

        case .start, .stop, .pause, .unpause, .unrescue, .reboot, .rescue, .rebuild, .createImage, .eject, .insert, .ejectAtReboot:
            // Requests are handled by `transition`.
            return Outcome(state)
        }
    }

    /// At start-up, every server is checked against what still runs. Work
    /// that was under way when Nimbus stopped is over; a delete is finished.
    static func adopted(_ state: State, alive: Bool) -> Outcome {
        var next = state
        if state.taskState == .deleting { return Outcome(state, effects: [.destroy]) }
        if state.vmState == .deleted { return Outcome(state) }
        next.taskState = nil
        if alive {
            switch state.taskState {
            case .rescuing?: next.vmState = .rescued
            case .unrescuing?, .spawning?, .poweringOn?, .rebooting?, .rebootingHard?, .rebuilding?: next.vmState = .active
            default: if state.vmState == .building || state.vmState == .stopped { next.vmState = .active }
            }
            next.powerState = next.vmState == .paused ? .paused : .running
            // A new Nimbus's runtime does not know the VM holds its reboots: say so again.
            return Outcome(next, effects: [.applyForwards] + (state.ejectsPending ? [.holdReboots] : []))
        }
        var fault: String?
        switch state.vmState {
        case .building:
            next.vmState = .error
            fault = "Nimbus stopped while the server was being built."
        case .active, .paused, .rescued, .stopped:
            next.vmState = .stopped
            next.rescueImage = nil
        case .error, .deleted:
            break
        }
        next.powerState = .shutdown
        next.ejectPending()
        return Outcome(next, fault: fault)
    }
}
