import Foundation
import Logging
import NimbusCore
import QEMU
import QMP
import Networking

/// Owns the running VMs: launches them, holds their serial consoles and QMP
/// connections, and stops them. One QMP connection per VM stays open (QEMU
/// serves one monitor client at a time), and every command goes through it.
public actor InstanceSupervisor {
    /// A VM that runs: only a running VM has a QMP client and a console.
    struct RunningVM {
        var pid: Int32
        var qmp: QMPClient
        var console: SerialConsole
        var events: Task<Void, Never>
    }

    /// What the guest did on its own, for the compute service to record.
    public enum GuestEvent: Sendable {
        case shutdown(guest: Bool)
        case trayMoved(device: String, open: Bool)
        case stopped, resumed
        /// QEMU went away without being asked (the guest powered off, or QEMU died).
        case exited
    }

    let launcher = QEMULauncher()
    let logger = Logger(label: "nimbus.compute")
    var running: [ServerID: RunningVM] = [:]
    var onEvent: (@Sendable (ServerID, GuestEvent) async -> Void)?

    public init() {}

    public func setEventHandler(_ handler: @escaping @Sendable (ServerID, GuestEvent) async -> Void) {
        onEvent = handler
    }

    /// Launches `spec` paused, attaches the console and monitor, then lets the
    /// CPUs run. Every finished step is undone when a later one fails.
    func start(_ id: ServerID, spec: VMSpec, paths: InstancePaths) async throws {
        let pid = try await launcher.launch(spec)
        do {
            try await attach(id, pid: pid, paths: paths)
            guard let vm = running[id] else { throw QMPError.disconnected }
            try await vm.qmp.execute(.cont)
        } catch {
            await detach(id)
            await QEMULauncher.terminate(pid, grace: .seconds(1))
            throw error
        }
    }

    /// Takes over a VM left running by an earlier Nimbus; false when it is not there.
    func adopt(_ id: ServerID, paths: InstancePaths) async -> Bool {
        guard let pid = QEMULauncher.livePid(pidFile: paths.pidFile, marker: paths.qmpSocket) else { return false }
        do {
            try await attach(id, pid: pid, paths: paths)
            return true
        } catch {
            logger.warning("a running VM did not answer on its monitor", metadata: ["server.id": "\(id)", "error": "\(error)"])
            return false
        }
    }

    private func attach(_ id: ServerID, pid: Int32, paths: InstancePaths) async throws {
        let console = SerialConsole(socketPath: paths.serialSocket, logPath: paths.consoleLog)
        try await console.start()
        do {
            let qmp = try await Self.connect(paths: paths)
            let events = Task { [weak self] in
                for await event in qmp.events { await self?.forward(event, from: id) }
                // The stream ends when QEMU closes the monitor: the VM is gone.
                await self?.exited(id, pid: pid)
            }
            running[id] = RunningVM(pid: pid, qmp: qmp, console: console, events: events)
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

    private func forward(_ event: QMPEvent, from id: ServerID) async {
        let guestEvent: GuestEvent?
        switch event.kind {
        case .shutdown(let guest, _): guestEvent = .shutdown(guest: guest)
        case .deviceTrayMoved(let device, let deviceID, let open): guestEvent = .trayMoved(device: deviceID.isEmpty ? device : deviceID, open: open)
        case .stop: guestEvent = .stopped
        case .resume: guestEvent = .resumed
        default: guestEvent = nil
        }
        if let guestEvent, let onEvent { await onEvent(id, guestEvent) }
    }

    /// Called when a VM's monitor closes; a stop in progress has detached it already.
    private func exited(_ id: ServerID, pid: Int32) async {
        guard let vm = running[id], vm.pid == pid else { return }
        running[id] = nil
        vm.console.stop()
        await vm.qmp.close()
        if let onEvent { await onEvent(id, .exited) }
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
    func monitor(_ id: ServerID) throws -> QMPClient {
        guard let vm = running[id] else { throw ComputeError.notRunning }
        return vm.qmp
    }

    func pause(_ id: ServerID) async throws {
        try await monitor(id).execute(.stop)
    }

    func resume(_ id: ServerID) async throws {
        try await monitor(id).execute(.cont)
    }

    /// Copies the running VM's drive `device`, as it is now, into a new
    /// standalone qcow2 at `target` while the guest runs on (QMP drive-backup).
    func backup(_ id: ServerID, device: String, to target: String) async throws {
        let qmp = try monitor(id)
        let job = "snapshot-\(UInt32.random(in: 0...UInt32.max))"
        try await qmp.execute(.driveBackup(jobID: job, device: device, target: target))
        while true {
            try await Task.sleep(for: .milliseconds(200))
            guard let state = try await qmp.execute(.queryBlockJobs).first(where: { $0.device == job }) else {
                throw ComputeError.snapshotFailed("the copy job disappeared")
            }
            guard state.status == "concluded" else { continue }
            _ = try? await qmp.execute(.blockJobDismiss(id: job))
            if let error = state.error { throw ComputeError.snapshotFailed(error) }
            return
        }
    }

    func screendump(_ id: ServerID, to path: String) async throws {
        try await monitor(id).execute(.screendump(filename: path))
    }

    /// Presses each chord (keys held together) in turn, as a person would type.
    func press(_ id: ServerID, _ chords: [[String]]) async throws {
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
    /// the others from working.
    func setForwards(_ id: ServerID, _ wanted: [String: Set<AccessForward>]) async throws -> [(String, String)] {
        let qmp = try monitor(id)
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

    public func isRunning(_ id: ServerID) -> Bool {
        guard let vm = running[id] else { return false }
        return QEMULauncher.isAlive(vm.pid)
    }

    /// Stops QEMU: an ACPI power-off the guest may honour within `grace`,
    /// then `quit`, then SIGTERM and SIGKILL.
    func stop(_ id: ServerID, paths: InstancePaths, grace: Duration) async {
        let pid = running[id]?.pid ?? QEMULauncher.livePid(pidFile: paths.pidFile, marker: paths.qmpSocket)
        if let qmp = running[id]?.qmp, let pid {
            if grace > .zero {
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
    }
}
