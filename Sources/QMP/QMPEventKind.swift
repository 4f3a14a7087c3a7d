/// The events the compute service acts on, decoded from `QMPEvent.data`.
///
/// Any other event (or one whose data lacks required fields) is `.other(name)`;
/// its payload stays available as `QMPEvent.data`.
public enum QMPEventKind: Sendable, Equatable {
    /// The VM stopped running for good: `guest` is true when the guest asked
    /// (ACPI power-off), `reason` is QEMU's (`"guest-shutdown"`, `"host-qmp-quit"`, ...).
    case shutdown(guest: Bool, reason: String?)
    /// The VM was reset, by the guest (`guest == true`, e.g. a reboot) or the host.
    case reset(guest: Bool, reason: String?)
    /// Execution paused (`stop`, or an error policy).
    case stop
    /// Execution resumed (`cont`).
    case resume
    /// An ACPI power button press was delivered (`system_powerdown`).
    case powerdown
    /// A removable drive's tray opened or closed. `device` is the block
    /// backend name (may be empty), `id` the device's qdev id or QOM path.
    case deviceTrayMoved(device: String, id: String, trayOpen: Bool)
    /// The guest's kernel panicked and told a pvpanic device.
    case guestPanicked
    /// An event this client does not decode.
    case other(String)
}

extension QMPEvent {
    /// The decoded form of the events listed in `QMPEventKind`.
    public var kind: QMPEventKind {
        switch name {
        case "SHUTDOWN":
            return .shutdown(guest: data["guest"]?.boolValue ?? false, reason: data["reason"]?.stringValue)
        case "RESET":
            return .reset(guest: data["guest"]?.boolValue ?? false, reason: data["reason"]?.stringValue)
        case "STOP":
            return .stop
        case "RESUME":
            return .resume
        case "POWERDOWN":
            return .powerdown
        case "DEVICE_TRAY_MOVED":
            guard let open = data["tray-open"]?.boolValue else { return .other(name) }
            return .deviceTrayMoved(
                device: data["device"]?.stringValue ?? "",
                id: data["id"]?.stringValue ?? "",
                trayOpen: open
            )
        case "GUEST_PANICKED":
            return .guestPanicked
        default:
            return .other(name)
        }
    }
}
