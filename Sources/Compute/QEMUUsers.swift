import Foundation
import QEMU

/// The host users QEMU processes run as when Nimbus runs as root: one uid
/// per running VM, with the group of the same number, from a block that
/// starts at `firstUID`. A VM of its own uid cannot signal, trace or read the
/// memory of another, and opens nothing under the data directory (mode 700)
/// by name: what it needs later is lent to it (`QMPFileHandoff`).
///
/// The block the README suggests, 0x4E490000 (1,313,406,976) up, lies far
/// above the ranges Debian hands out for subordinate ids (100,000 + 65,536
/// per user); a uid or gid that has a name on this host is skipped all the same.
public struct QEMUUsers: Sendable {
    public static let count = 65_536

    public let firstUID: UInt32
    /// Whether the host names this uid or gid (a user or group of its own); injected in tests.
    let isNamed: @Sendable (UInt32) -> Bool
    /// The real uids of the host's processes; injected in tests.
    let processUIDs: @Sendable () -> Set<UInt32>

    public init(firstUID: UInt32) {
        self.init(firstUID: firstUID, isNamed: { id in getpwuid(id) != nil || getgrgid(id) != nil }, processUIDs: Self.processUIDs)
    }

    init(firstUID: UInt32, isNamed: @escaping @Sendable (UInt32) -> Bool, processUIDs: @escaping @Sendable () -> Set<UInt32> = { [] }) {
        self.firstUID = firstUID
        self.isNamed = isNamed
        self.processUIDs = processUIDs
    }

    /// The lowest uid of the block that no VM being launched (`taken`) and
    /// no process of the host holds, and the host does not name. A QEMU
    /// still ending after its stop, one an adoption gave up on, or another
    /// Nimbus's on the same host keeps its uid until it is gone.
    func pick(taken: Set<UInt32>) -> VMSpec.HostUser? {
        let busy = taken.union(processUIDs())
        let last = UInt64(firstUID) + UInt64(Self.count) - 1
        for uid in UInt64(firstUID)...min(last, UInt64(UInt32.max - 1)) {
            let id = UInt32(uid)
            if !busy.contains(id), !isNamed(id) { return VMSpec.HostUser(uid: id, gid: id) }
        }
        return nil
    }

    /// The real uid of every process /proc shows.
    static func processUIDs() -> Set<UInt32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap { Int32($0) }.compactMap(uid(of:)))
    }

    /// The real uid a process runs as, from /proc (for VMs an earlier Nimbus left running).
    static func uid(of pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return nil }
        return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { UInt32($0) }
    }
}
