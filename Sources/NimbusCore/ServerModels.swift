import Foundation

public struct ServerID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Nova's vm_state: what the server is, independent of what it is doing.
public enum VMState: String, Sendable, Codable, CaseIterable {
    case building, active, stopped, paused, rescued, error, deleted
}

/// Nova's task_state: what the server is doing right now, if anything.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case scheduling, spawning
    case rebooting, rebootingHard = "rebooting_hard"
    case poweringOff = "powering-off", poweringOn = "powering-on"
    case pausing, unpausing
    case imageSnapshot = "image_snapshot", imageUploading = "image_uploading"
    case rescuing, unrescuing
    case rebuilding
    case deleting
}

/// Nova's power_state numbers.
public enum PowerState: Int, Sendable, Codable, CaseIterable {
    case noState = 0, running = 1, paused = 3, shutdown = 4, crashed = 6
}

/// What went wrong, in words a user can act on (Nova's server fault).
public struct ServerFault: Sendable, Codable, Equatable {
    public var code: Int
    public var message: String
    public var created: Date
    public init(code: Int, message: String, created: Date) {
        self.code = code
        self.message = message
        self.created = created
    }
}

/// A CD drive of a server: it exists from boot, with a medium (an ISO
/// image) or empty, like a real drive.
public struct CDDrive: Sendable, Codable, Equatable, Hashable {
    /// The drive's device id in the guest (`cd0`, `cd1`, ...).
    public var id: String
    /// The ISO image in the drive; nil when empty.
    public var imageId: ImageID?
    /// The disc is taken out when the guest next resets (or the VM stops),
    /// not now: the guest reads it until then.
    public var ejectAtReboot: Bool

    public init(id: String, imageId: ImageID?, ejectAtReboot: Bool = false) {
        self.id = id
        self.imageId = imageId
        self.ejectAtReboot = ejectAtReboot
    }

    enum CodingKeys: String, CodingKey { case id, imageId, ejectAtReboot }

    // Drives recorded before deferred ejects existed have no `ejectAtReboot`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        imageId = try container.decodeIfPresent(ImageID.self, forKey: .imageId)
        ejectAtReboot = try container.decodeIfPresent(Bool.self, forKey: .ejectAtReboot) ?? false
    }
}

extension Server {
    /// The host name the guest is given (and Nova's API shows): the name in
    /// lower case, anything but letters and digits as hyphens, at most 63.
    public static func hostname(_ name: String) -> String {
        let cleaned = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let trimmed = String(cleaned).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "server" : String(trimmed.prefix(63))
    }

    public var hostname: String { Self.hostname(name) }
}

/// A server as stored. The sizes are copied from the flavor at creation,
/// as Nova does, so deleting or changing a flavor never changes a server.
public struct Server: Sendable, Codable, Equatable {
    public var id: ServerID
    public var name: String
    public var projectId: ProjectID
    public var userId: UserID
    public var imageId: ImageID?
    public var flavorId: FlavorID
    public var flavorName: String
    /// The flavor's extra specs as they were at creation (Nova keeps them
    /// with the instance too): the hardware they ask for, a TPM say, stays.
    public var flavorExtraSpecs: [String: String]
    /// Image properties this server sees otherwise, chosen at creation: a
    /// Windows installer with a virtio driver disc gets virtio disks, not
    /// the SATA its image defaults to (kept, so the installed system still
    /// finds its disk once the driver disc is out).
    public var imageOverrides: [String: String]
    public var vcpus: Int
    public var ram: Int
    public var disk: Int
    public var vmState: VMState
    public var taskState: TaskState?
    public var powerState: PowerState
    public var fault: ServerFault?
    public var metadata: [String: String]
    public var keyName: String?
    /// The key pair's public key as it was at create time (Nova's key_data):
    /// deleting the key pair later does not take it from the server.
    public var keyData: String?
    public var userData: String?
    public var configDrive: Bool
    /// The server's CD drives and what is in them: the installer ISO's
    /// drive (`cd0`) for a server built from an ISO. A drive stays when its
    /// medium is ejected, so another can be inserted.
    public var drives: [CDDrive]
    /// While rescued: the image booted first, with the server's own disks still attached.
    public var rescueImageId: ImageID?
    /// Ports the user brought (`--nic port-id=`): unbound, not deleted, with the server.
    public var preservedPortIds: [PortID]
    public var locked: Bool
    /// Nova's accessIPv4/accessIPv6: addresses the user records for reaching
    /// the server (a NAT's, say); kept and shown, never configured. "" when unset.
    public var accessIpv4: String
    public var accessIpv6: String
    public var createdAt: Date
    public var updatedAt: Date
    public var launchedAt: Date?
    /// Nova's server description (2.19); nil when none was given.
    public var description: String?
    /// Nova's server tags (2.26).
    public var tags: [String] = []
    /// Why the server is locked (2.73), while it is.
    public var lockedReason: String?
    /// The request that made the server, shared by a multi-create (`r-…`),
    /// and its place in that request (Nova's reservation_id and launch_index).
    public var reservationId: String = ""
    public var launchIndex: Int = 0
    /// The flavor's ephemeral and swap sizes, copied at creation as the others are.
    public var ephemeral: Int = 0
    public var swap: Int = 0

    public init(
        id: ServerID, name: String, projectId: ProjectID, userId: UserID, imageId: ImageID?, flavor: Flavor, now: Date
    ) {
        self.id = id
        self.name = name
        self.projectId = projectId
        self.userId = userId
        self.imageId = imageId
        self.flavorId = flavor.id
        self.flavorName = flavor.name
        self.flavorExtraSpecs = flavor.extraSpecs
        self.imageOverrides = [:]
        self.vcpus = flavor.vcpus
        self.ram = flavor.ram
        self.disk = flavor.disk
        self.ephemeral = flavor.ephemeral
        self.swap = flavor.swap
        self.reservationId = "r-\(id.rawValue.prefix(8))"
        self.vmState = .building
        self.taskState = .scheduling
        self.powerState = .noState
        self.fault = nil
        self.metadata = [:]
        self.keyName = nil
        self.keyData = nil
        self.userData = nil
        self.configDrive = false
        self.drives = []
        self.rescueImageId = nil
        self.preservedPortIds = []
        self.locked = false
        self.accessIpv4 = ""
        self.accessIpv6 = ""
        self.createdAt = now
        self.updatedAt = now
        self.launchedAt = nil
    }

    /// Nova's user-visible status, derived from vm_state and task_state.
    public var status: String {
        switch (vmState, taskState) {
        case (.building, _): "BUILD"
        case (_, .deleting?): vmState == .error ? "ERROR" : "ACTIVE"
        case (.active, .rebooting?): "REBOOT"
        case (.active, .rebootingHard?): "HARD_REBOOT"
        case (.active, .rescuing?): "RESCUE"
        case (_, .rebuilding?): "REBUILD"
        case (.active, _): "ACTIVE"
        case (.stopped, _): "SHUTOFF"
        case (.paused, _): "PAUSED"
        case (.rescued, _): "RESCUE"
        case (.error, _): "ERROR"
        case (.deleted, _): "DELETED"
        }
    }
}

public struct ServerGroupID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Nova's server group: servers placed by one policy. Nimbus is one host,
/// so affinity always holds and anti-affinity holds for one member (a second
/// is refused, where Nova's scheduler would find no valid host).
public struct ServerGroup: Sendable, Codable, Equatable {
    public static let policies: Set<String> = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]

    public var id: ServerGroupID
    public var projectId: ProjectID
    public var userId: UserID
    public var name: String
    public var policy: String
    /// Nova 2.64's rules: `max_server_per_host` for anti-affinity.
    public var maxServerPerHost: Int?
    public var createdAt: Date

    public init(id: ServerGroupID, projectId: ProjectID, userId: UserID, name: String, policy: String, now: Date) {
        self.id = id
        self.projectId = projectId
        self.userId = userId
        self.name = name
        self.policy = policy
        self.createdAt = now
    }

    /// Whether one more server may join a group that has `members` already.
    /// Nimbus is one host: anti-affinity admits `max_server_per_host` (1 by default).
    public func admits(members: Int) -> Bool {
        policy != "anti-affinity" || members < (maxServerPerHost ?? 1)
    }
}

/// One request that acted on a server (Nova's instance action): what, by
/// whom, when, under which request id. A server's actions go with it.
public struct InstanceAction: Sendable, Codable, Equatable {
    public var serverId: ServerID
    public var requestId: String
    /// Nova's action name: create, reboot, stop, rebuild, …
    public var action: String
    public var userId: UserID
    public var projectId: ProjectID
    public var startTime: Date
    public var message: String?

    public init(serverId: ServerID, requestId: String, action: String, userId: UserID, projectId: ProjectID, startTime: Date) {
        self.serverId = serverId
        self.requestId = requestId
        self.action = action
        self.userId = userId
        self.projectId = projectId
        self.startTime = startTime
        self.message = nil
    }
}
