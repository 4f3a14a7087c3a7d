import Foundation
import Logging
import NimbusCore
import QEMU
import QMP
import Networking

/// The VM runtime on QEMU: launches VMs, holds their serial consoles and
/// QMP connections, and stops them. One QMP connection per VM stays open
/// (QEMU serves one monitor client at a time), and every command goes
/// through it. Each VM's QMP events are read by a task of its own and turned
/// into lifecycle events here, and only here.
public actor QEMURuntime: VMRuntime {
    /// A VM that runs: only a running VM has a QMP client and a console.
    struct RunningVM {
        var pid: Int32
        var qmp: QMPClient
        var console: SerialConsole
        var events: Task<Void, Never>
        /// The uid QEMU runs as, when it is one of `users`' (such a QEMU may not listen below 1024).
        var uid: UInt32?
        /// The monitor QEMU takes lent files on; nil for a VM started without one.
        var fileHandoff: String?
        /// Set once Nimbus asked it to stop: its exit is then no guest event.
        var stopping = false
    }

    let launcher = QEMULauncher()
    let imageTool = QEMUImageTool()
    let isoTool = ISOImageTool()
    let logger = Logger(label: "nimbus.compute")
    var running: [ServerID: RunningVM] = [:]
    /// Who QEMU runs as: a uid of its own per VM, or (nil) whoever runs Nimbus.
    let users: QEMUUsers?
    /// Uids handed to VMs still being launched, so two launches never share one.
    private var launchingUIDs: Set<UInt32> = []
    public nonisolated let events: AsyncStream<GuestEvent>
    private nonisolated let eventSink: AsyncStream<GuestEvent>.Continuation

    public init(users: QEMUUsers? = nil) {
        self.users = users
        (events, eventSink) = AsyncStream.makeStream(of: GuestEvent.self)
    }

    /// Launches `spec` paused, attaches the console and monitor, then lets the
    /// CPUs run. Every finished step is undone when a later one fails.
    public func start(_ id: ServerID, spec: VMSpec, paths: InstancePaths) async throws {
        var spec = spec
        if let users {
            // Running VMs' QEMUs are processes, which `pick` reads from /proc;
            // a launch in progress has none yet.
            guard let user = users.pick(taken: launchingUIDs) else {
                throw QEMUError.launchFailed(executable: launcher.executable, reason: "every uid QEMU may run as is taken")
            }
            spec.user = user
            launchingUIDs.insert(user.uid)
        }
        defer { if let uid = spec.user?.uid { launchingUIDs.remove(uid) } }
        let pid = try await launcher.launch(spec)
        do {
            try await attach(id, pid: pid, paths: paths, uid: spec.user?.uid)
            guard let vm = running[id] else { throw QMPError.disconnected }
            if !spec.bootIndexesAfterFirstBoot.isEmpty {
                await setBootOrder(spec.bootIndexesAfterFirstBoot, of: id, on: vm.qmp)
            }
            try await vm.qmp.execute(.cont)
        } catch {
            await detach(id)
            await QEMULauncher.terminate(pid, grace: .seconds(1))
            throw error
        }
    }

    /// The boot order from the next reset on. The firmware's first boot
    /// reads the order QEMU had at launch, so the CPUs may still wait; each
    /// device first takes an index no other holds, as QEMU refuses two
    /// devices on one index. A failure leaves the launch order for the
    /// guest's own reboots; the next launch starts from the usual one.
    private func setBootOrder(_ indexes: [String: Int], of id: ServerID, on qmp: QMPClient) async {
        let devices = indexes.keys.sorted()
        let unused = (indexes.values.max() ?? 0) + 1 + devices.count
        do {
            for (offset, device) in devices.enumerated() { try await qmp.execute(.setBootIndex(device: device, index: unused + offset)) }
            for device in devices { try await qmp.execute(.setBootIndex(device: device, index: indexes[device]!)) }
        } catch {
            logger.warning("the boot order after a boot from CD was not set; the guest's own reboots start from CD too", metadata: [
                "server.id": "\(id)", "error": "\(error)",
            ])
        }
    }

    /// Takes over a VM left running by an earlier Nimbus; false when it is
    /// not there. A VM that waits at its guest's reset (reboots were held
    /// while Nimbus was away) is announced, so it is let go.
    public func adopt(_ id: ServerID, paths: InstancePaths) async -> Bool {
        guard let pid = QEMULauncher.livePid(pidFile: paths.pidFile, marker: paths.qmpSocket) else { return false }
        do {
            let uid = QEMUUsers.uid(of: pid)
            try await attach(id, pid: pid, paths: paths, uid: uid == getuid() ? nil : uid)
            // QEMU does not say why it waits: a guest that powered off while
            // its reboots were held is taken for one that rebooted, and boots.
            if let qmp = running[id]?.qmp, (try? await qmp.execute(.queryStatus).status) == .shutdown {
                eventSink.yield(GuestEvent(server: id, event: .guestRebooting, generation: Int(pid)))
            }
            return true
        } catch {
            logger.warning("a running VM did not answer on its monitor", metadata: ["server.id": "\(id)", "error": "\(error)"])
            return false
        }
    }

    private func attach(_ id: ServerID, pid: Int32, paths: InstancePaths, uid: UInt32?) async throws {
        let console = SerialConsole(socketPath: paths.serialSocket, logPath: paths.consoleLog)
        try await console.start()
        do {
            let qmp = try await Self.connect(paths: paths)
            let events = Task { [weak self] in
                for await event in qmp.events { self?.forward(event, from: id, pid: pid) }
                // The stream ends when QEMU closes the monitor: the VM is gone.
                await self?.exited(id, pid: pid)
            }
            // A VM an earlier Nimbus started may have no handoff monitor.
            let handoff = FileManager.default.fileExists(atPath: paths.fileHandoffSocket) ? paths.fileHandoffSocket : nil
            running[id] = RunningVM(pid: pid, qmp: qmp, console: console, events: events, uid: uid, fileHandoff: handoff)
        } catch {
            console.stop()
            throw error
        }
    }

    /// QEMU creates the socket before it listens: retry refused connections briefly.
    static func connect(paths: InstancePaths) async throws -> QMPClient {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await QMPClient.connect(
                    socketPath: paths.qmpSocket, timeout: .seconds(5), commandTimeout: .seconds(10),
                    log: QMPFileExchangeLog(path: paths.qmpLog))
            } catch QMPError.connectionFailed where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The QMP events the lifecycle acts on. A guest's power-off is heard
    /// as QEMU exiting (`exited`), which follows its SHUTDOWN; STOP and
    /// RESUME are Nimbus's own pause and unpause. A SHUTDOWN for a guest's
    /// reset comes only while reboots are held: the VM waits.
    static func lifecycleEvent(_ kind: QMPEventKind) -> ServerLifecycle.Event? {
        switch kind {
        case .reset(guest: true, _): .guestReset
        case .shutdown(_, reason: "guest-reset"): .guestRebooting
        case .deviceTrayMoved(let device, let id, let open): .trayMoved(drive: driveName(backend: device, qdev: id), open: open)
        case .guestPanicked: .guestPanicked
        default: nil
        }
    }

    /// A drive's id from what QMP names it by: the backend is named after
    /// the drive ("cd0-drive" for cd0), and qdev may be a QOM path.
    static func driveName(backend: String, qdev: String) -> String {
        if backend.hasSuffix("-drive") { return String(backend.dropLast("-drive".count)) }
        return qdev.split(separator: "/").last.map(String.init) ?? backend
    }

    private nonisolated func forward(_ event: QMPEvent, from id: ServerID, pid: Int32) {
        logger.debug("guest event", metadata: ["server.id": "\(id)", "event": "\(event.name)"])
        if let lifecycle = Self.lifecycleEvent(event.kind) {
            eventSink.yield(GuestEvent(server: id, event: lifecycle, generation: Int(pid)))
        } else if case .shutdown(_, let reason) = event.kind, reason != "host-qmp-quit", reason != "host-signal" {
            Task { await self.endHeldShutdown(id, pid: pid) }
        }
    }

    /// A VM that holds its reboots pauses at any shutdown, the guest's
    /// power-off too: that one must still end QEMU, as it does otherwise.
    /// (Without the hold QEMU is gone already, and the status is not asked.)
    private func endHeldShutdown(_ id: ServerID, pid: Int32) async {
        guard let vm = running[id], vm.pid == pid, (try? await vm.qmp.execute(.queryStatus).status) == .shutdown else { return }
        do { try await vm.qmp.execute(.quit, timeout: .seconds(2)) } catch {
            logger.debug("quit after a held shutdown", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
    }

    /// Called when a VM's monitor closes; a stop in progress has detached it already.
    private func exited(_ id: ServerID, pid: Int32) async {
        guard let vm = running[id], vm.pid == pid else { return }
        running[id] = nil
        vm.console.stop()
        await vm.qmp.close()
        // A VM Nimbus was stopping did what it was asked: no guest event.
        if !vm.stopping { eventSink.yield(GuestEvent(server: id, event: .guestExited, generation: Int(pid))) }
    }

    private func detach(_ id: ServerID) async {
        guard let vm = running.removeValue(forKey: id) else { return }
        vm.events.cancel()
        await vm.qmp.close()
        vm.console.stop()
    }

    /// The serial console of a running VM, for clients to attach to.
    public func console(_ id: ServerID) throws -> SerialConsole {
        guard let vm = running[id] else { throw ComputeError.notRunning }
        return vm.console
    }

    /// The monitor of a running VM.
    private func monitor(_ id: ServerID) throws -> QMPClient {
        guard let vm = running[id] else { throw ComputeError.notRunning }
        return vm.qmp
    }

    public func pause(_ id: ServerID) async throws {
        try await monitor(id).execute(.stop)
    }

    public func resume(_ id: ServerID) async throws {
        try await monitor(id).execute(.cont)
    }

    public func injectNMI(_ id: ServerID) async throws {
        try await monitor(id).execute(.injectNMI)
    }

    /// A running VM's drive `device` is copied as it is now while the guest
    /// runs on (QMP drive-backup); a stopped VM's `disk` with qemu-img.
    /// Either way the copy is a standalone qcow2 without a backing file.
    public func copyDisk(_ id: ServerID, device: String, disk: String, to target: String) async throws {
        guard isRunning(id), let qmp = running[id]?.qmp else {
            try await imageTool.convert(from: disk, to: target)
            return
        }
        let job = "snapshot-\(UInt32.random(in: 0...UInt32.max))"
        // QEMU may not create files: the target is made here, of the disk's size, and lent.
        guard let size = try await qmp.execute(.queryBlock).first(where: { $0.device == device })?.inserted?.virtualSize else {
            throw ComputeError.snapshotFailed("no drive \(device) to copy")
        }
        try await imageTool.createBlank(at: target, sizeBytes: size)
        // QEMU reads the target before it writes it.
        try await lending(target, [O_RDONLY, O_RDWR], to: id) { name in
            try await qmp.execute(.driveBackup(jobID: job, device: device, target: name, targetExists: true))
            try await self.awaitJob(job, of: id, on: qmp)
        }
    }

    /// Waits for block job `job` to conclude, then dismisses it.
    private func awaitJob(_ job: String, of id: ServerID, on qmp: QMPClient) async throws {
        while true {
            try await Task.sleep(for: .milliseconds(200))
            guard let state = try await qmp.execute(.queryBlockJobs).first(where: { $0.device == job }) else {
                throw ComputeError.snapshotFailed("the copy job disappeared")
            }
            guard state.status == "concluded" else { continue }
            do { try await qmp.execute(.blockJobDismiss(id: job)) } catch {
                logger.warning("a finished copy job was not dismissed", metadata: ["server.id": "\(id)", "error": "\(error)"])
            }
            if let error = state.error { throw ComputeError.snapshotFailed(error) }
            return
        }
    }

    public func screendump(_ id: ServerID, to path: String) async throws {
        let qmp = try monitor(id)
        try await lending(path, [O_WRONLY | O_CREAT | O_TRUNC], to: id) { name in try await qmp.execute(.screendump(filename: name)) }
    }

    /// Runs `body` with a name QEMU can open `path` by: opened here (once
    /// with each of `modes`; a file made is owner-only) and lent through the handoff
    /// monitor, so a QEMU running as its own user needs no access to the
    /// data directory. The fd set is released when `body` is done; QEMU
    /// keeps what it opened from it (QEMU 7.2 closes the rest only while the
    /// VM runs: a paused VM holds them until it is resumed or ends). A VM
    /// without a handoff monitor gets `path`. The exchange blocks this actor
    /// for a moment, which also keeps two lendings to one QEMU apart (its
    /// handoff monitor serves one client at a time); each read is bounded.
    @discardableResult
    private func lending<Value>(
        _ path: String, _ modes: [Int32], to id: ServerID, _ body: (String) async throws -> Value
    ) async throws -> Value {
        guard let vm = running[id] else { throw ComputeError.notRunning }
        guard let handoff = vm.fileHandoff else { return try await body(path) }
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        for mode in modes {
            let descriptor = open(path, mode | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw ComputeError.monitorRefused("\(path) cannot be opened to lend to QEMU: \(String(cString: strerror(errno)))")
            }
            descriptors.append(descriptor)
        }
        let set = try QMPFileHandoff.add(descriptors, opaque: URL(fileURLWithPath: path).lastPathComponent, socketPath: handoff)
        do {
            let result = try await body(QMPFileHandoff.path(ofSet: set))
            await release(set, of: id, on: vm.qmp)
            return result
        } catch {
            await release(set, of: id, on: vm.qmp)
            throw error
        }
    }

    private func release(_ set: Int, of id: ServerID, on qmp: QMPClient) async {
        do { try await qmp.execute(.removeFD(set: set)) } catch {
            logger.warning("a lent file's fd set was not released", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
    }

    /// Presses each chord (keys held together) in turn, as a person would type.
    public func press(_ id: ServerID, _ chords: [[String]]) async throws {
        let qmp = try monitor(id)
        for chord in chords {
            try await qmp.execute(.sendKey(chord.map { .qcode($0) }, holdTime: 50))
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Makes the host forwards of the user-mode NICs exactly `wanted` (by
    /// netdev id; a NIC not named has none): reads what QEMU has, removes
    /// everything not wanted first (so a forward moving between NICs is free
    /// when it is added), then adds what is missing. Returns the commands
    /// QEMU refused, with its words, so one address in use does not keep
    /// the others from working. A QEMU that runs as a uid of its own cannot
    /// listen below 1024: such forwards are left out, with a warning that
    /// names the way around (they are no refusal to retry).
    public func setForwards(_ id: ServerID, _ wanted: [String: Set<AccessForward>]) async throws -> [(String, String)] {
        let qmp = try monitor(id)
        var wanted = wanted
        if running[id]?.uid != nil {
            let low = wanted.values.flatMap { $0 }.filter { !UserNetForwards.mayBind($0.hostPort, asRoot: false) }
            if !low.isEmpty {
                for netdev in wanted.keys { wanted[netdev] = wanted[netdev]?.filter { UserNetForwards.mayBind($0.hostPort, asRoot: false) } }
                logger.warning("""
                    QEMU runs as a uid of its own (NIMBUS_QEMU_FIRST_UID) and may not listen below port 1024, so these are \
                    not forwarded; forward from an external port of 1024 or more (openstack floating ip port forwarding create)
                    """, metadata: ["server.id": "\(id)", "forwards": "\(low.map(\.description).sorted())"])
            }
        }
        let current = UserNetForwards.parse(try await qmp.humanMonitor("info usernet"))
        var commands: [String] = []
        for (netdev, have) in current {
            commands += have.subtracting(wanted[netdev] ?? []).map { UserNetForwards.removeCommand(netdev, $0) }
        }
        for (netdev, forwards) in wanted {
            commands += forwards.subtracting(current[netdev] ?? []).map { UserNetForwards.addCommand(netdev, $0) }
        }
        var refused: [(String, String)] = []
        for command in commands {
            do {
                try await qmp.humanMonitor(command)
            } catch QMPError.humanMonitorFailed(_, let output) {
                refused.append((command, output))
            }
        }
        return refused
    }

    public func generation(_ id: ServerID) -> Int? {
        guard let vm = running[id], QEMULauncher.isAlive(vm.pid) else { return nil }
        return Int(vm.pid)
    }

    public func isRunning(_ id: ServerID) -> Bool {
        guard let vm = running[id] else { return false }
        return QEMULauncher.isAlive(vm.pid)
    }

    /// Stops QEMU: an ACPI power-off the guest may honour within `grace`,
    /// then `quit`, then SIGTERM and SIGKILL.
    public func stop(_ id: ServerID, paths: InstancePaths, grace: Duration) async {
        let pid = running[id]?.pid ?? QEMULauncher.livePid(pidFile: paths.pidFile, marker: paths.qmpSocket)
        running[id]?.stopping = true
        if let qmp = running[id]?.qmp, let pid {
            // Held reboots end here: the guest's power-off must end QEMU, not
            // pause it; and a VM waiting at its reset cannot power off at all.
            _ = try? await qmp.execute(.setAction(reboot: "reset", shutdown: "poweroff"))
            let waiting = (try? await qmp.execute(.queryStatus).status) == .shutdown
            if grace > .zero, !waiting {
                _ = try? await qmp.execute(.systemPowerdown)
                let deadline = ContinuousClock.now + grace
                while QEMULauncher.isAlive(pid), ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            if QEMULauncher.isAlive(pid) { _ = try? await qmp.execute(.quit, timeout: .seconds(2)) }
        }
        await detach(id)
        if let pid { await QEMULauncher.terminate(pid, grace: .seconds(3)) }
        // swtpm ends when QEMU's connection closes; this is for one that did not.
        await SWTPM.stop(pidFile: paths.tpmPidFile, socket: paths.tpmSocket)
    }

    // MARK: Media

    public func driveStatus(_ id: ServerID) async throws -> [DriveStatus] {
        try await monitor(id).execute(.queryBlock).filter(\.removable).map { device in
            DriveStatus(
                drive: Self.driveName(backend: device.device, qdev: device.qdev ?? ""), trayOpen: device.trayOpen ?? false,
                locked: device.locked, hasMedium: device.inserted != nil)
        }
    }

    public func ejectMedium(_ id: ServerID, drive: String, force: Bool) async throws {
        try await refusable(id, .eject(id: drive, force: force))
    }

    public func insertMedium(_ id: ServerID, drive: String, file: String) async throws {
        try await lending(file, [O_RDONLY], to: id) { name in try await refusable(id, .blockdevChangeMedium(id: drive, filename: name)) }
    }

    public func holdReboots(_ id: ServerID) async throws {
        try await monitor(id).execute(.setAction(reboot: "shutdown", shutdown: "pause"))
    }

    /// A reset with the usual actions back (so it is a reset, not another
    /// wait), then the CPUs run: QEMU accepts `cont` only once the reset
    /// was done, which it does between monitor commands.
    public func finishReboot(_ id: ServerID, resume: Bool) async throws {
        let qmp = try monitor(id)
        try await qmp.execute(.setAction(reboot: "reset", shutdown: "poweroff"))
        try await qmp.execute(.systemReset)
        guard resume else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                try await qmp.execute(.cont)
                return
            } catch QMPError.commandFailed where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// A command whose refusal (a locked tray, a missing drive) is the user's to hear, in QEMU's words.
    private func refusable<Command: QMPCommand>(_ id: ServerID, _ command: Command) async throws {
        do {
            _ = try await monitor(id).execute(command)
        } catch QMPError.commandFailed(_, let description) {
            throw ComputeError.monitorRefused(description)
        }
    }

    // MARK: Disks

    public nonisolated func createDisk(at path: String, _ source: DiskSource) async throws {
        switch source {
        case .blank(let size): try await imageTool.createBlank(at: path, sizeBytes: size)
        case .overlay(let backing, let format, let size):
            try await imageTool.createOverlay(at: path, backingFile: backing, backingFormat: format, sizeBytes: size)
        }
    }

    public nonisolated func writeISO(label: String, files: [String: Data], to path: String) async throws {
        try await isoTool.write(label: label, files: files, to: path)
    }

    public nonisolated func copyFirmwareVariables(from template: String, to path: String) async throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: template, toPath: path)
    }
}
