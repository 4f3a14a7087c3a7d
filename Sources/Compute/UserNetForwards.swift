import Foundation
import NimbusCore
import Networking

/// The host forwards of QEMU's user-mode NICs, read from HMP `info usernet`
/// and changed with `hostfwd_add` / `hostfwd_remove`. QMP has no command for
/// either, so these are HMP command lines.
enum UserNetForwards {
    /// The `HOST_FORWARD` entries of `info usernet`, by netdev id:
    ///
    ///     Hub -1 (net0):
    ///       Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
    ///       TCP[HOST_FORWARD]  14      127.10.0.5    22       10.0.0.12    22     0     0
    static func parse(_ output: String) -> [String: Set<AccessForward>] {
        var result: [String: Set<AccessForward>] = [:]
        var netdev: String?
        for line in output.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Hub"), let open = text.lastIndex(of: "("), let close = text.lastIndex(of: ")"), open < close {
                netdev = String(text[text.index(after: open)..<close])
                continue
            }
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard let netdev, fields.count >= 6, fields[0].hasSuffix("[HOST_FORWARD]"),
                  let proto = ForwardProtocol(rawValue: fields[0].prefix { $0 != "[" }.lowercased()),
                  let hostPort = Int(fields[3]), let guestPort = Int(fields[5])
            else { continue }
            result[netdev, default: []].insert(AccessForward(
                protocol: proto, hostAddress: String(fields[2]), hostPort: hostPort, guestAddress: String(fields[4]), guestPort: guestPort))
        }
        return result
    }

    static func addCommand(_ netdev: String, _ forward: AccessForward) -> String {
        "hostfwd_add \(netdev) \(forward.protocol.rawValue):\(forward.hostAddress):\(forward.hostPort)-\(forward.guestAddress):\(forward.guestPort)"
    }

    static func removeCommand(_ netdev: String, _ forward: AccessForward) -> String {
        "hostfwd_remove \(netdev) \(forward.protocol.rawValue):\(forward.hostAddress):\(forward.hostPort)"
    }

    /// Whether a process may listen on `port`: root may on any, others
    /// from `net.ipv4.ip_unprivileged_port_start` (1024 unless changed) up.
    static func mayBind(_ port: Int, asRoot: Bool = geteuid() == 0) -> Bool {
        if asRoot { return true }
        let start = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1024
        return port >= start
    }
}
