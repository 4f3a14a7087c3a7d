/// Everything QEMU needs to know to run one virtual machine. Knows nothing of
/// OpenStack: the compute service maps a server, its flavor and image into this.
public struct VMSpec: Sendable, Equatable {
    public enum Accelerator: String, Sendable, Equatable { case kvm, tcg }

    public enum Firmware: Sendable, Equatable {
        case bios
        /// OVMF: the read-only code image and this VM's own writable copy of
        /// the variables. With `secureBoot`, the code is a Secure Boot build
        /// whose variables hold the keys, and SMM keeps the guest's OS from
        /// writing them.
        case uefi(code: String, variables: String, secureBoot: Bool = false)
    }

    /// Where the guest's real-time clock starts: UTC, or the host's local
    /// time, which Windows expects.
    public enum Clock: String, Sendable, Equatable { case utc, localtime }

    /// A software TPM: a `swtpm` process per VM, whose control socket QEMU
    /// connects to, and whose state lives with the VM's other files.
    public struct TPM: Sendable, Equatable {
        public enum Version: String, Sendable, Equatable, CaseIterable {
            case v1_2 = "1.2"
            case v2_0 = "2.0"
        }
        /// QEMU's device: the TPM interface the guest sees.
        public enum Model: String, Sendable, Equatable, CaseIterable {
            case tis = "tpm-tis"
            case crb = "tpm-crb"
        }
        public var version: Version
        public var model: Model
        /// Where swtpm keeps the TPM's state: keys, NV indexes (owner-only).
        public var stateDirectory: String
        /// swtpm's control socket.
        public var socket: String
        public var pidFile: String
        public var logFile: String

        public init(version: Version, model: Model, stateDirectory: String, socket: String, pidFile: String, logFile: String) {
            self.version = version
            self.model = model
            self.stateDirectory = stateDirectory
            self.socket = socket
            self.pidFile = pidFile
            self.logFile = logFile
        }
    }

    /// Display name, shown in `ps` and QMP.
    public var name: String
    public var uuid: String?
    /// QEMU machine type, for example `q35` or `pc`.
    public var machine: String
    public var accelerator: Accelerator
    public var cpus: Int
    public var memoryMiB: Int
    public var firmware: Firmware
    public var clock: Clock = .utc
    /// Hyper-V enlightenments, as Windows guests want them (KVM only: QEMU's
    /// TCG refuses some of them).
    public var hyperV = false
    /// A USB tablet (an absolute pointer, so a VNC mouse does not drift) besides the PS/2 mouse.
    public var tablet = true
    public var tpm: TPM?
    /// The user and group QEMU runs as once its devices are open (`-runas`):
    /// not root, and not Nimbus's own. Nil: as whoever starts it.
    public var user: HostUser?
    public var drives: [Drive]
    public var nics: [NIC]
    public var sockets: Sockets
    /// When set, QEMU detaches and writes its pid here, so the VM outlives Nimbus.
    public var pidFile: String?
    /// Start with the CPUs stopped, so consoles can attach before the first instruction.
    public var startPaused: Bool
    /// For a boot-once order: each drive's boot index from the second boot
    /// on (by device id), set while the CPUs still wait, so the firmware's
    /// first boot keeps the launch order and every reset after it does not.
    /// Empty when the launch order is the usual one.
    public var bootIndexesAfterFirstBoot: [String: Int] = [:]

    public init(
        name: String, uuid: String? = nil, machine: String = "q35", accelerator: Accelerator = .tcg, cpus: Int = 1,
        memoryMiB: Int = 512, firmware: Firmware = .bios, drives: [Drive] = [], nics: [NIC] = [], sockets: Sockets,
        pidFile: String? = nil, startPaused: Bool = true
    ) {
        self.name = name
        self.uuid = uuid
        self.machine = machine
        self.accelerator = accelerator
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.firmware = firmware
        self.drives = drives
        self.nics = nics
        self.sockets = sockets
        self.pidFile = pidFile
        self.startPaused = startPaused
    }

    /// The unix sockets through which Nimbus talks to the VM; never TCP.
    public struct Sockets: Sendable, Equatable {
        public var qmp: String
        public var serial: String
        public var vnc: String?
        /// A second monitor, only for lending QEMU open files (`QMPFileHandoff`).
        public var fileHandoff: String?
        public init(qmp: String, serial: String, vnc: String? = nil, fileHandoff: String? = nil) {
            self.qmp = qmp
            self.serial = serial
            self.vnc = vnc
            self.fileHandoff = fileHandoff
        }
    }

    /// A numeric user and group of the host; it needs no entry in /etc/passwd.
    public struct HostUser: Sendable, Equatable, Hashable {
        public var uid: UInt32
        public var gid: UInt32
        public init(uid: UInt32, gid: UInt32) {
            self.uid = uid
            self.gid = gid
        }
    }
}

/// A disk or CD-ROM drive. A CD drive exists from boot, with or without a medium,
/// so media can be ejected and inserted later without hot-plugging devices.
public struct Drive: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case disk, cdrom }
    public enum Bus: String, Sendable, Equatable, CaseIterable { case virtio, sata, scsi, ide }

    /// Device id used in QMP (`eject`, `blockdev-change-medium`, DEVICE_TRAY_MOVED).
    public var id: String
    /// The block backend's name, which block jobs such as drive-backup take.
    public var backendID: String { Self.backendID(of: id) }
    public static func backendID(of id: String) -> String { "\(id)-drive" }
    public var kind: Kind
    public var bus: Bus
    /// The backing file; nil for an empty CD drive.
    public var file: String?
    /// `qcow2` or `raw`.
    public var format: String
    public var readOnly: Bool
    /// Lower boots first; nil leaves the drive out of the boot order.
    public var bootIndex: Int?

    public init(id: String, kind: Kind, bus: Bus, file: String?, format: String = "raw", readOnly: Bool = false, bootIndex: Int? = nil) {
        self.id = id
        self.kind = kind
        self.bus = bus
        self.file = file
        self.format = format
        self.readOnly = readOnly
        self.bootIndex = bootIndex
    }
}

/// A network interface on QEMU user-mode networking.
public struct NIC: Sendable, Equatable {
    public var id: String
    /// QEMU device model, for example `virtio-net-pci` or `e1000`.
    public var model: String
    public var mac: String
    /// The guest's network in CIDR form, for example `10.0.0.0/24`.
    public var network: String
    /// The address QEMU's virtual gateway answers on.
    public var gateway: String
    /// The first (and in practice only) address handed out by DHCP: the port's fixed IP.
    public var dhcpStart: String
    /// The address of QEMU's DNS proxy; nil leaves QEMU's default (the network's .3).
    public var dns: String?
    public var hostname: String?
    /// Deny the guest any connection to the host or outside (QEMU `restrict=on`).
    public var restrict: Bool
    public var forwards: [PortForward]

    public init(
        id: String, model: String = "virtio-net-pci", mac: String, network: String, gateway: String, dhcpStart: String,
        dns: String? = nil, hostname: String? = nil, restrict: Bool = false, forwards: [PortForward] = []
    ) {
        self.dns = dns
        self.id = id
        self.model = model
        self.mac = mac
        self.network = network
        self.gateway = gateway
        self.dhcpStart = dhcpStart
        self.hostname = hostname
        self.restrict = restrict
        self.forwards = forwards
    }
}

/// A TCP forward from a host address and port to a guest port.
public struct PortForward: Sendable, Equatable {
    public var hostAddress: String
    public var hostPort: Int
    public var guestPort: Int
    public init(hostAddress: String, hostPort: Int, guestPort: Int) {
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.guestPort = guestPort
    }
}
