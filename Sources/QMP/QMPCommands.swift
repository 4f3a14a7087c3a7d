/// The QMP commands this module knows, as `QMPCommand` values.
///
/// Each also has a static shortcut on `QMPCommand`, so call sites read
/// `try await client.execute(.queryStatus)` or `client.execute(.eject(id: "cd0", force: true))`.
/// Commands grouped by topic live in `QMPCommands+<Topic>.swift`.
public enum QMPCommands {
    /// `qmp_capabilities`: leaves capability negotiation; `QMPClient` sends it itself.
    public struct Capabilities: QMPCommand {
        /// Wire name.
        public static let name = "qmp_capabilities"
        /// Creates the command.
        public init() {}
    }

    /// `cont`: resumes a paused VM (also the first start of a VM launched with `-S`).
    public struct Cont: QMPCommand {
        /// Wire name.
        public static let name = "cont"
        /// Creates the command.
        public init() {}
    }

    /// `stop`: pauses the VM; QEMU then emits `STOP`.
    public struct Stop: QMPCommand {
        /// Wire name.
        public static let name = "stop"
        /// Creates the command.
        public init() {}
    }

    /// `inject-nmi`: a non-maskable interrupt, which a guest set up for it
    /// answers with a crash dump (Nova's trigger_crash_dump).
    public struct InjectNMI: QMPCommand {
        /// Wire name.
        public static let name = "inject-nmi"
        /// Creates the command.
        public init() {}
    }

    /// `system_powerdown`: presses the ACPI power button; the guest may ignore it.
    public struct SystemPowerdown: QMPCommand {
        /// Wire name.
        public static let name = "system_powerdown"
        /// Creates the command.
        public init() {}
    }

    /// `system_reset`: a hard reset, like the reset button; QEMU emits `RESET`.
    public struct SystemReset: QMPCommand {
        /// Wire name.
        public static let name = "system_reset"
        /// Creates the command.
        public init() {}
    }

    /// `quit`: QEMU exits at once (emitting `SHUTDOWN` with reason `host-qmp-quit`).
    /// The connection may close before or right after the reply.
    public struct Quit: QMPCommand {
        /// Wire name.
        public static let name = "quit"
        /// Creates the command.
        public init() {}
    }
}

extension QMPCommand where Self == QMPCommands.Cont {
    /// `cont`: resume the VM.
    public static var cont: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.Stop {
    /// `stop`: pause the VM.
    public static var stop: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.InjectNMI {
    /// `inject-nmi`: a non-maskable interrupt to every CPU.
    public static var injectNMI: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.SystemPowerdown {
    /// `system_powerdown`: press the ACPI power button.
    public static var systemPowerdown: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.SystemReset {
    /// `system_reset`: hard reset.
    public static var systemReset: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.Quit {
    /// `quit`: end QEMU.
    public static var quit: Self { .init() }
}
