/// What QEMU does when the guest resets, powers off or panics (`-action`),
/// changed while the VM runs with `set-action`.
extension QMPCommands {
    /// `set-action`: changes QEMU's reaction to guest events. Fields left
    /// nil keep their current action.
    public struct SetAction: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// On a reset: `"reset"` (the default) or `"shutdown"` (treat it as a shutdown).
            public var reboot: String?
            /// On a shutdown: `"poweroff"` (the default: QEMU exits) or `"pause"` (stop in run state `shutdown`).
            public var shutdown: String?
        }

        /// Wire name.
        public static let name = "set-action"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Sets the reboot and shutdown actions; nil keeps one as it is.
        public init(reboot: String? = nil, shutdown: String? = nil) {
            self.arguments = Arguments(reboot: reboot, shutdown: shutdown)
        }
    }

    /// `qom-set` of a device's `bootindex`: the firmware sees the new
    /// order from the next reset on (QEMU rebuilds its `bootorder` file at
    /// every reset). Two devices cannot hold one index at the same time.
    public struct SetBootIndex: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The device's QOM path.
            public var path: String
            /// Always `"bootindex"`.
            public var property: String
            /// The new boot index.
            public var value: Int
        }

        /// Wire name.
        public static let name = "qom-set"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Sets the boot index of the device whose qdev id is `device`.
        public init(device: String, index: Int) {
            self.arguments = Arguments(path: "/machine/peripheral/\(device)", property: "bootindex", value: index)
        }
    }
}

extension QMPCommand where Self == QMPCommands.SetAction {
    /// `set-action`: change what QEMU does on a guest reset or shutdown.
    public static func setAction(reboot: String? = nil, shutdown: String? = nil) -> Self { .init(reboot: reboot, shutdown: shutdown) }
}

extension QMPCommand where Self == QMPCommands.SetBootIndex {
    /// `qom-set` of the device's `bootindex`.
    public static func setBootIndex(device: String, index: Int) -> Self { .init(device: device, index: index) }
}
