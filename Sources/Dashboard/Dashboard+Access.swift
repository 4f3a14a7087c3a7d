import Dispatch
import Foundation
import Identity
import Images
import Networking
import NimbusCore

/// Reaching an instance: a floating IP in one click, SSH or RDP let in by
/// the project's default security group, and "ready" once the guest's own
/// service answers through the forward.
extension Dashboard {
    /// The instance's floating IP: the one it has, else a free one of the
    /// project, else a new one from the first external network.
    func attachFloatingIP(to id: String, _ visitor: Visitor) throws -> String {
        let server = try compute.server(id, visitor.auth)
        let ports = try networks.ports(deviceID: server.id.rawValue, project: server.projectId)
        guard let port = ports.first else { throw NimbusError.conflict("Instance \(server.name) has no network port to reach.") }
        if let existing = try networks.floatingIPs(ports: ports).first { return existing.floatingIpAddress }
        if let free = try networks.floatingIPs(.init(), visitor.auth).first(where: { $0.portId == nil }) {
            var changes = NetworkService.FloatingIPChanges()
            changes.association = .some((portId: port.id.rawValue, fixedIpAddress: nil))
            return try networks.updateFloatingIP(free.id.rawValue, changes, visitor.auth).floatingIpAddress
        }
        guard let external = try networks.networks(.init(), visitor.auth).first(where: \.external) else {
            throw NimbusError.conflict("There is no external network to take a floating IP from.")
        }
        var draft = NetworkService.FloatingIPDraft(floatingNetworkId: external.id.rawValue)
        draft.portId = port.id.rawValue
        return try networks.createFloatingIP(draft, visitor.auth).floatingIpAddress
    }

    /// An ingress TCP rule for `port` in the project's default group; one that exists already is fine.
    func allow(port: Int, _ visitor: Visitor) throws {
        guard try !portOpen(port, visitor) else { return }
        let project = try Policy.requireProjectMember(visitor.auth)
        let group = try networks.defaultSecurityGroup(of: project)
        var rule = NetworkService.SecurityGroupRuleDraft(securityGroupId: group.id.rawValue, direction: "ingress")
        rule.protocol = "tcp"
        rule.portRangeMin = port
        rule.portRangeMax = port
        rule.remoteIpPrefix = "0.0.0.0/0"
        rule.description = port == 22 ? "SSH, from the dashboard" : "RDP, from the dashboard"
        _ = try networks.createSecurityGroupRule(rule, visitor.auth)
    }

    /// Whether the project's default group lets TCP `port` in from anywhere.
    func portOpen(_ port: Int, _ visitor: Visitor) throws -> Bool {
        guard let project = visitor.auth.projectId else { return false }
        let group = try networks.defaultSecurityGroup(of: project)
        return try networks.rules(ofGroups: [group.id]).contains { rule in
            rule.direction == .ingress && rule.ethertype == "IPv4" && (rule.protocol == nil || rule.protocol == "tcp")
                && rule.remoteGroupId == nil && (rule.remoteIpPrefix == nil || rule.remoteIpPrefix == "0.0.0.0/0")
                && (rule.portRangeMin ?? 0) <= port && port <= (rule.portRangeMax ?? 65535)
        }
    }

    /// How to reach a running instance, once its service answers: SSH
    /// (Linux) or RDP (os_type=windows) on its floating IP. Nimbus connects
    /// itself and waits for the service to speak (an SSH banner, an RDP
    /// answer), since the forward alone accepts connections for any guest.
    func readiness(_ server: Server, _ visitor: Visitor) async -> (command: String, address: String)? {
        guard server.powerState == .running, let address = try? addressList(server).first(where: \.floating)?.address else { return nil }
        let image = try? server.imageId.flatMap { try images.image($0.rawValue, visitor.auth) }
        let windows = image?.properties["os_type"] == "windows"
        let user = image?.properties["os_admin_user"] ?? (windows ? "Administrator" : "root")
        guard await ServiceProbe.answers(host: address, port: windows ? 3389 : 22, protocol: windows ? .rdp : .ssh) else { return nil }
        if windows { return ("xfreerdp /v:\(address) /u:\(user)", address) }
        let key = server.keyName.map { "-i \($0).pem " } ?? ""
        return ("ssh \(key)\(user)@\(address)", address)
    }
}

/// Whether a TCP service answers as the protocol says it should, within two seconds.
enum ServiceProbe {
    enum Kind { case ssh, rdp }

    static func answers(host: String, port: Int, protocol kind: Kind) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: probe(host: host, port: port, kind)) }
        }
    }

    /// SSH servers speak first ("SSH-2.0-..."); an RDP server answers an
    /// X.224 connection request with a TPKT (version 3).
    static func probe(host: String, port: Int, _ kind: Kind) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        if kind == .rdp {
            // TPKT + X.224 Connection Request with an RDP negotiation request (TLS).
            let request: [UInt8] = [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 1, 0, 0, 0]
            guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return false }
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return false }
        switch kind {
        case .ssh: return count >= 4 && buffer.prefix(4) == Array("SSH-".utf8)[...]
        case .rdp: return buffer[0] == 3
        }
    }
}
