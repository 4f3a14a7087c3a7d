/// One block device as `query-block` reports it.
public struct QMPBlockDevice: Sendable, Equatable, Decodable {
    /// The medium in a drive.
    public struct Medium: Sendable, Equatable, Decodable {
        /// The image file name as QEMU opened it.
        public var file: String
        /// True when the medium is read-only.
        public var readOnly: Bool
        /// The format driver (`"raw"`, `"qcow2"`, ...).
        public var driver: String
        /// The block node name (QEMU generates one when none was given).
        public var nodeName: String?
        /// The image's size as the guest sees it, in bytes.
        public var virtualSize: Int64? { image?.virtualSize }
        var image: Image?

        struct Image: Sendable, Equatable, Decodable {
            var virtualSize: Int64?
            enum CodingKeys: String, CodingKey { case virtualSize = "virtual-size" }
        }

        enum CodingKeys: String, CodingKey {
            case file, readOnly = "ro", driver = "drv", nodeName = "node-name", image
        }
    }

    /// The block backend name (the `-drive id=`), may be empty for `-blockdev` setups.
    public var device: String
    /// The guest device's qdev id (the `-device id=`) or, without one, its QOM path.
    public var qdev: String?
    /// True for drives with removable media (CD-ROM, floppy).
    public var removable: Bool
    /// True when the guest locked the tray (eject then needs `force`).
    public var locked: Bool
    /// Whether the tray is open; `nil` for drives without a tray.
    public var trayOpen: Bool?
    /// The medium, or `nil` when the drive is empty.
    public var inserted: Medium?

    enum CodingKeys: String, CodingKey {
        case device, qdev, removable, locked, trayOpen = "tray_open", inserted
    }
}

/// How `blockdev-change-medium` opens the new medium.
public enum QMPReadOnlyMode: String, Encodable, Sendable {
    /// Keep the drive's current read-only setting.
    case retain
    /// Open read-only (the right choice for ISO images).
    case readOnly = "read-only"
    /// Open read-write.
    case readWrite = "read-write"
}

extension QMPCommands {
    /// `query-block`: every block device, its tray and its medium.
    public struct QueryBlock: QMPCommand {
        /// The reply type.
        public typealias Response = [QMPBlockDevice]
        /// Wire name.
        public static let name = "query-block"
        /// Creates the command.
        public init() {}
    }

    /// `eject`: opens the tray of a removable drive and removes its medium.
    /// The drive itself stays (it is not unplugged).
    public struct Eject: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The guest device's qdev id.
            public var id: String
            /// Eject even when the guest locked the tray.
            public var force: Bool
        }

        /// Wire name.
        public static let name = "eject"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Ejects the medium of device `id`; `force` overrides a guest lock.
        public init(id: String, force: Bool = false) {
            self.arguments = Arguments(id: id, force: force)
        }
    }

    /// `remove-fd`: releases an fd set lent with `add-fd` (`QMPFileHandoff`);
    /// QEMU closes its copies once nothing it opened from the set uses them
    /// (QEMU 7.2 only while the VM runs; a paused VM closes them on resuming).
    public struct RemoveFD: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            public var fdsetID: Int
            enum CodingKeys: String, CodingKey { case fdsetID = "fdset-id" }
        }

        /// Wire name.
        public static let name = "remove-fd"
        /// The arguments sent.
        public var arguments: Arguments?

        public init(set: Int) { self.arguments = Arguments(fdsetID: set) }
    }

    /// `blockdev-change-medium`: opens the tray, swaps in `filename`, closes the tray.
    public struct BlockdevChangeMedium: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The guest device's qdev id.
            public var id: String
            /// The image to insert.
            public var filename: String
            /// The image format (`"raw"` for ISO images); QEMU probes when nil.
            public var format: String?
            /// How to open the image; QEMU's default is `retain`.
            public var readOnlyMode: QMPReadOnlyMode?
            /// Open the tray even when the guest locked it.
            public var force: Bool?

            enum CodingKeys: String, CodingKey {
                case id, filename, format, readOnlyMode = "read-only-mode", force
            }
        }

        /// Wire name.
        public static let name = "blockdev-change-medium"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Inserts `filename` into device `id`.
        public init(
            id: String, filename: String, format: String? = "raw",
            readOnlyMode: QMPReadOnlyMode? = .readOnly, force: Bool? = nil
        ) {
            self.arguments = Arguments(
                id: id, filename: filename, format: format, readOnlyMode: readOnlyMode, force: force
            )
        }
    }
}

extension QMPCommand where Self == QMPCommands.QueryBlock {
    /// `query-block`: every block device with tray and medium.
    public static var queryBlock: Self { .init() }
}

extension QMPCommand where Self == QMPCommands.Eject {
    /// `eject`: open the tray of device `id` and remove its medium.
    public static func eject(id: String, force: Bool = false) -> Self { .init(id: id, force: force) }
}

extension QMPCommand where Self == QMPCommands.RemoveFD {
    /// `remove-fd`: release fd set `set`.
    public static func removeFD(set: Int) -> Self { .init(set: set) }
}

extension QMPCommand where Self == QMPCommands.BlockdevChangeMedium {
    /// `blockdev-change-medium`: insert `filename` into device `id` (read-only raw by default).
    public static func blockdevChangeMedium(
        id: String, filename: String, format: String? = "raw",
        readOnlyMode: QMPReadOnlyMode? = .readOnly, force: Bool? = nil
    ) -> Self {
        .init(id: id, filename: filename, format: format, readOnlyMode: readOnlyMode, force: force)
    }
}
