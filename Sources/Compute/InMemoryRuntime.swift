import Foundation
import NimbusCore
import Networking
import QEMU
import Synchronization

/// A VM runtime with no VMs: it keeps what it was asked in memory, so the
/// compute service's lifecycle (create, actions, delete, reconcile, guest
/// events) is tested in milliseconds without QEMU. Copies are small files,
/// so a snapshot's upload runs for real.
public final class InMemoryRuntime: VMRuntime {
    /// What a test can see of one VM.
    public struct VM: Sendable {
        public var spec: VMSpec
        public var paused = false
        public var forwards: [String: Set<AccessForward>] = [:]
        /// What each CD drive holds (a file, or nil), and whether its tray is open.
        public var media: [String: String?] = [:]
        public var openTrays: Set<String> = []
        /// Trays the guest locked.
        public var lockedTrays: Set<String> = []
        /// Drives whose disc stays in, whatever an eject says (a broken drive).
        public var stuckDrives: Set<String> = []
        /// Which launch this is.
        public var generation = 0
        /// Whether the guest's resets wait for `finishReboot`.
        public var holdsReboots = false
        /// Whether it waits at a reset now.
        public var waitingAtReset = false
    }

    public struct Record: Sendable {
        public var running: [ServerID: VM] = [:]
        /// Every call, in order, as "start <id>", "stop <id> <grace>", ...
        public var calls: [String] = []
        /// Disks made, by path.
        public var disks: [String: DiskSource] = [:]
        /// ISO images written, by path.
        public var isos: [String: [String: Data]] = [:]
        /// VMs that outlived the last Nimbus (for `adopt`).
        public var survivors: Set<ServerID> = []
        /// Servers whose next start fails with this reason.
        public var failStart: [ServerID: String] = [:]
        /// Whether the next pause or resume is refused.
        public var refuseMonitor = false
        /// Launches so far.
        public var launches = 0
    }

    private let record = Mutex(Record())
    public let events: AsyncStream<GuestEvent>
    private let sink: AsyncStream<GuestEvent>.Continuation

    public init() {
        (events, sink) = AsyncStream.makeStream(of: GuestEvent.self)
    }

    /// Reads or changes what the runtime holds.
    public func withRecord<T>(_ body: (inout Record) throws -> T) rethrows -> T {
        try record.withLock { try body(&$0) }
    }

    /// The guest did something (a tray it opens is open when asked); by
    /// default the VM running now did it.
    public func emit(_ event: ServerLifecycle.Event, from id: ServerID, generation: Int? = nil) {
        let current = record.withLock { $0.running[id]?.generation }
        record.withLock { record in
            switch event {
            case .guestExited: record.running[id] = nil
            case .guestRebooting: record.running[id]?.waitingAtReset = true
            case .trayMoved(let drive, let open):
                if open { record.running[id]?.openTrays.insert(drive) } else { record.running[id]?.openTrays.remove(drive) }
            default: break
            }
        }
        sink.yield(GuestEvent(server: id, event: event, generation: generation ?? current))
    }

    public func start(_ id: ServerID, spec: VMSpec, paths: InstancePaths) async throws {
        try record.withLock { record in
            record.calls.append("start \(id)")
            if let reason = record.failStart.removeValue(forKey: id) {
                throw QEMUError.launchFailed(executable: QEMUCommandLine.executable, reason: reason)
            }
            record.launches += 1
            var vm = VM(spec: spec)
            vm.generation = record.launches
            for drive in spec.drives where drive.kind == .cdrom { vm.media[drive.id] = drive.file }
            record.running[id] = vm
        }
    }

    public func adopt(_ id: ServerID, paths: InstancePaths) async -> Bool {
        record.withLock { record in
            record.calls.append("adopt \(id)")
            return record.survivors.contains(id) && record.running[id] != nil
        }
    }

    public func stop(_ id: ServerID, paths: InstancePaths, grace: Duration) async {
        record.withLock { record in
            record.calls.append("stop \(id) \(grace == .zero ? "hard" : "graceful")")
            record.running[id] = nil
        }
    }

    public func generation(_ id: ServerID) async -> Int? {
        record.withLock { $0.running[id]?.generation }
    }

    public func isRunning(_ id: ServerID) async -> Bool {
        record.withLock { $0.running[id] != nil }
    }

    public func pause(_ id: ServerID) async throws {
        try monitor(id, "pause") { $0.paused = true }
    }

    public func resume(_ id: ServerID) async throws {
        try monitor(id, "resume") { $0.paused = false }
    }

    public func injectNMI(_ id: ServerID) async throws {
        try monitor(id, "inject-nmi") { _ in }
    }

    private func monitor(_ id: ServerID, _ call: String, _ change: (inout VM) -> Void) throws {
        try record.withLock { record in
            record.calls.append("\(call) \(id)")
            guard record.running[id] != nil else { throw ComputeError.notRunning }
            if record.refuseMonitor {
                record.refuseMonitor = false
                throw ComputeError.monitorRefused("\(call) was refused")
            }
            change(&record.running[id]!)
        }
    }

    public func screendump(_ id: ServerID, to path: String) async throws {
        try monitor(id, "screendump") { _ in }
        try Data([0x89, 0x50, 0x4e, 0x47]).write(to: URL(fileURLWithPath: path))
    }

    public func press(_ id: ServerID, _ chords: [[String]]) async throws {
        try monitor(id, "press \(chords.map { $0.joined(separator: "-") }.joined(separator: " "))") { _ in }
    }

    public func setForwards(_ id: ServerID, _ wanted: [String: Set<AccessForward>]) async throws -> [(String, String)] {
        try monitor(id, "forwards") { $0.forwards = wanted }
        return []
    }

    public func console(_ id: ServerID) async throws -> SerialConsole {
        throw ComputeError.notRunning
    }

    public func driveStatus(_ id: ServerID) async throws -> [DriveStatus] {
        var statuses: [DriveStatus] = []
        try monitor(id, "query-block") { vm in
            statuses = vm.media.keys.sorted().map { drive in
                DriveStatus(
                    drive: drive, trayOpen: vm.openTrays.contains(drive), locked: vm.lockedTrays.contains(drive),
                    hasMedium: vm.media[drive].flatMap { $0 } != nil)
            }
        }
        return statuses
    }

    public func ejectMedium(_ id: ServerID, drive: String, force: Bool) async throws {
        try record.withLock { record in
            record.calls.append("eject \(id) \(drive)\(force ? " force" : "")")
            guard var vm = record.running[id], vm.media.keys.contains(drive) else { throw ComputeError.notRunning }
            if vm.lockedTrays.contains(drive), !force { throw ComputeError.monitorRefused("Device '\(drive)' is locked and force was not specified") }
            guard !vm.stuckDrives.contains(drive) else { return }
            vm.media[drive] = .some(nil)
            vm.openTrays.insert(drive)
            record.running[id] = vm
        }
    }

    public func insertMedium(_ id: ServerID, drive: String, file: String) async throws {
        try record.withLock { record in
            record.calls.append("insert \(id) \(drive)")
            guard var vm = record.running[id], vm.media.keys.contains(drive) else { throw ComputeError.notRunning }
            vm.media[drive] = file
            vm.openTrays.remove(drive)
            record.running[id] = vm
        }
    }

    public func holdReboots(_ id: ServerID) async throws {
        try monitor(id, "hold-reboots") { $0.holdsReboots = true }
    }

    public func finishReboot(_ id: ServerID, resume: Bool) async throws {
        try monitor(id, "finish-reboot") { vm in
            vm.holdsReboots = false
            vm.waitingAtReset = false
            vm.paused = !resume
        }
    }

    public func createDisk(at path: String, _ source: DiskSource) async throws {
        record.withLock { record in
            record.calls.append("disk \(URL(fileURLWithPath: path).lastPathComponent)")
            record.disks[path] = source
        }
    }

    /// Writes a minimal qcow2 (version 3, no backing file), so the snapshot
    /// passes the image service's format inspection.
    public func copyDisk(_ id: ServerID, device: String, disk: String, to target: String) async throws {
        record.withLock { record in
            record.calls.append("copy \(id) \(record.running[id] != nil ? "live" : "stopped")")
        }
        try Self.minimalQCOW2(virtualSize: 1 << 30).write(to: URL(fileURLWithPath: target))
    }

    public func writeISO(label: String, files: [String: Data], to path: String) async throws {
        record.withLock { record in
            record.calls.append("iso \(label)")
            record.isos[path] = files
        }
    }

    public func copyFirmwareVariables(from template: String, to path: String) async throws {
        record.withLock { $0.calls.append("firmware variables \(URL(fileURLWithPath: template).lastPathComponent)") }
    }

    /// A qcow2 v3 header with one empty L1 table and a refcount table: what
    /// `qemu-img create` writes for a blank disk, in its smallest form.
    static func minimalQCOW2(virtualSize: UInt64) -> Data {
        var header = Data(count: 3 * 65536)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.bigEndian) { header.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0) }
        }
        put(UInt32(0x5146_49fb), at: 0)  // "QFI\xfb"
        put(UInt32(3), at: 4)  // version
        put(UInt32(16), at: 20)  // cluster_bits: 64 KiB
        put(virtualSize, at: 24)
        put(UInt32(1), at: 36)  // l1_size
        put(UInt64(65536), at: 40)  // l1_table_offset
        put(UInt64(131072), at: 48)  // refcount_table_offset
        put(UInt32(1), at: 56)  // refcount_table_clusters
        put(UInt32(4), at: 96)  // refcount_order
        put(UInt32(104), at: 100)  // header_length
        return header
    }
}
