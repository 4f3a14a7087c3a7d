import Foundation
import NimbusCore
import Networking
import QEMU

/// Everything Compute asks of the host: running VMs (start, stop, monitor
/// commands), making their disks and config drives, and hearing what guests
/// do. `QEMURuntime` is the real one; `InMemoryRuntime` records calls, so the
/// compute service is tested without QEMU.
public protocol VMRuntime: Sendable {
    // MARK: VMs

    /// Launches `spec` and lets it run; on failure nothing is left running.
    func start(_ id: ServerID, spec: VMSpec, paths: InstancePaths) async throws
    /// Takes over a VM left running by an earlier Nimbus; false when it is not there.
    func adopt(_ id: ServerID, paths: InstancePaths) async -> Bool
    /// An ACPI power-off the guest may honour within `grace`, then a hard stop.
    func stop(_ id: ServerID, paths: InstancePaths, grace: Duration) async
    func isRunning(_ id: ServerID) async -> Bool
    /// Which launch of the server's VM runs now (QEMU's pid); nil when none runs.
    func generation(_ id: ServerID) async -> Int?
    func pause(_ id: ServerID) async throws
    func resume(_ id: ServerID) async throws
    /// Sends a non-maskable interrupt, which a guest may answer with a crash dump.
    func injectNMI(_ id: ServerID) async throws
    /// The guest's screen as a PNG file at `path`.
    func screendump(_ id: ServerID, to path: String) async throws
    /// Presses each chord (keys held together) in turn.
    func press(_ id: ServerID, _ chords: [[String]]) async throws
    /// Makes the host forwards of each NIC (by netdev id) exactly `wanted`;
    /// returns the commands refused, with QEMU's words.
    func setForwards(_ id: ServerID, _ wanted: [String: Set<AccessForward>]) async throws -> [(String, String)]
    /// The serial console of a running VM.
    func console(_ id: ServerID) async throws -> SerialConsole

    // MARK: Media

    /// The CD drives of a running VM as QEMU sees them.
    func driveStatus(_ id: ServerID) async throws -> [DriveStatus]
    /// Opens the tray of `drive` and takes its medium out (`force`: even when the guest locked it).
    func ejectMedium(_ id: ServerID, drive: String, force: Bool) async throws
    /// Puts the ISO `file` into `drive`, read-only, and closes the tray.
    func insertMedium(_ id: ServerID, drive: String, file: String) async throws
    /// From now on the guest's resets wait: the VM pauses before the
    /// firmware runs again, and a `guestRebooting` event says so.
    func holdReboots(_ id: ServerID) async throws
    /// Lets a VM that waits at its guest's reset boot again (its CPUs run
    /// when `resume`); later resets no longer wait.
    func finishReboot(_ id: ServerID, resume: Bool) async throws

    // MARK: Disks

    /// Creates a root or rescue disk at `path`.
    func createDisk(at path: String, _ source: DiskSource) async throws
    /// Copies a VM's disk into a standalone qcow2 at `target`: live (the
    /// guest runs on) when `device` names a running VM's drive, else from `disk`.
    func copyDisk(_ id: ServerID, device: String, disk: String, to target: String) async throws
    /// Writes an ISO 9660 image labelled `label` holding `files` (relative paths).
    func writeISO(label: String, files: [String: Data], to path: String) async throws
    /// Puts a fresh copy of the UEFI variable store `template` at `path`.
    func copyFirmwareVariables(from template: String, to path: String) async throws

    // MARK: Events

    /// What guests do, as lifecycle events: one stream for all VMs.
    var events: AsyncStream<GuestEvent> { get }
}

/// One thing a guest did.
public struct GuestEvent: Sendable, Equatable {
    public var server: ServerID
    public var event: ServerLifecycle.Event
    /// Which launch of the VM it came from (`VMRuntime.generation`), so an
    /// event of a VM that was since restarted is not taken for the new one's.
    public var generation: Int?
    public init(server: ServerID, event: ServerLifecycle.Event, generation: Int?) {
        self.server = server
        self.event = event
        self.generation = generation
    }
}

/// A removable drive of a running VM, as QEMU reports it.
public struct DriveStatus: Sendable, Equatable {
    public var drive: String
    public var trayOpen: Bool
    public var locked: Bool
    public var hasMedium: Bool
    public init(drive: String, trayOpen: Bool, locked: Bool, hasMedium: Bool) {
        self.drive = drive
        self.trayOpen = trayOpen
        self.locked = locked
        self.hasMedium = hasMedium
    }
}

/// How a disk comes to be.
public enum DiskSource: Sendable, Equatable {
    /// A blank sparse qcow2 of this many bytes.
    case blank(sizeBytes: Int64)
    /// A qcow2 overlay over a read-only image file, optionally larger.
    case overlay(backingFile: String, backingFormat: String, sizeBytes: Int64?)
}
