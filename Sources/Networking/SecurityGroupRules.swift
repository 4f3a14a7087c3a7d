import Foundation
import NimbusCore

/// Neutron's checks on a security group rule, and what a group's rules let
/// in from the host: the ports a floating IP forwards.
enum SecurityGroupRules {
    /// IP protocol names Neutron accepts, with their numbers.
    static let protocolNumbers: [String: Int] = [
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4,
        "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
        "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
    ]
    /// Protocols whose rules have port ranges.
    static let portProtocols: Set<Int> = [6, 17, 33, 132, 136]
    static let icmpProtocols: Set<Int> = [1, 58]

    /// The rule a draft describes, or Neutron's 400 saying what is wrong with it.
    static func validated(_ draft: NetworkService.SecurityGroupRuleDraft, group: SecurityGroup) throws -> SecurityGroupRule {
        guard let direction = RuleDirection(rawValue: draft.direction) else {
            throw Fault.invalid("direction", "\(draft.direction) is not in [ingress, egress]")
        }
        let ethertype: String
        switch draft.ethertype.lowercased() {
        case "ipv4": ethertype = "IPv4"
        case "ipv6": ethertype = "IPv6"
        default: throw Fault.invalid("ethertype", "\(draft.ethertype) is not in [IPv4, IPv6]")
        }
        let (name, number) = try protocolOf(draft.protocol)
        var low = draft.portRangeMin
        var high = draft.portRangeMax
        if low != nil || high != nil {
            guard let number else {
                throw Fault.make(.badRequest, "SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.")
            }
            if portProtocols.contains(number) {
                if high == nil { high = low }
                // Neutron words a missing minimum as a range out of order.
                guard let min = low, let max = high else {
                    throw Fault.make(.badRequest, "SecurityGroupInvalidPortRange",
                                     "For TCP/UDP protocols, port_range_min must be <= port_range_max")
                }
                guard (1...65535).contains(min), (1...65535).contains(max) else {
                    throw Fault.make(.badRequest, "SecurityGroupInvalidPortValue", "Invalid value for port \((1...65535).contains(min) ? max : min).")
                }
                guard min <= max else {
                    throw Fault.make(.badRequest, "SecurityGroupInvalidPortRange",
                                     "For TCP/UDP protocols, port_range_min must be <= port_range_max")
                }
            } else if icmpProtocols.contains(number) {
                guard low != nil || high == nil else {
                    throw Fault.make(.badRequest, "SecurityGroupMissingIcmpType", "ICMP code (port-range-max) \(high ?? 0) is provided but ICMP type (port-range-min) is missing.")
                }
                for (value, what) in [(low, "type"), (high, "code")] {
                    if let value, !(0...255).contains(value) {
                        throw Fault.make(.badRequest, "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP \(what) (port-range-\(what == "type" ? "min" : "max")): \(value). It must be 0 to 255.")
                    }
                }
            } else {
                low = nil
                high = nil
            }
        }
        if draft.remoteIpPrefix != nil, draft.remoteGroupId != nil {
            throw Fault.make(.badRequest, "SecurityGroupRemoteGroupAndRemoteIpPrefix",
                             "Only remote_ip_prefix or remote_group_id may be provided.")
        }
        let prefix = try draft.remoteIpPrefix.map { try normalizedPrefix($0, ethertype: ethertype) }
        return SecurityGroupRule(
            id: .generate(), securityGroupId: group.id, projectId: group.projectId, direction: direction,
            ethertype: ethertype, protocol: name, portRangeMin: low, portRangeMax: high, remoteIpPrefix: prefix,
            description: try NetworkService.text(draft.description, "description"), now: Date())
    }

    /// A protocol as stored (name or number text) and its number; nil for any.
    static func protocolOf(_ text: String?) throws -> (String?, Int?) {
        guard let text, !text.isEmpty, text.lowercased() != "any" else { return (nil, nil) }
        let lowered = text.lowercased()
        if let number = protocolNumbers[lowered] { return (lowered, number) }
        if let number = Int(text), (0...255).contains(number) { return (String(number), number) }
        throw Fault.make(.badRequest, "SecurityGroupRuleInvalidProtocol",
                         "Security group rule protocol \(text) not supported. Only protocol values \(protocolNumbers.keys.sorted()) and integer representations [0 to 255] are supported.")
    }

    /// Neutron stores a prefix as its network (`10.0.0.5/8` is `10.0.0.0/8`) and
    /// requires it to be of the rule's ethertype.
    static func normalizedPrefix(_ text: String, ethertype: String) throws -> String {
        if text.contains(":") {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            var address = in6_addr()
            guard parts.count <= 2, inet_pton(AF_INET6, String(parts[0]), &address) == 1,
                  parts.count == 1 || Int(parts[1]).map({ (0...128).contains($0) }) == true
            else { throw Fault.invalid("remote_ip_prefix", "'\(text)' is not a valid IP subnet") }
            guard ethertype == "IPv6" else {
                throw Fault.make(.badRequest, "SecurityGroupRuleParameterConflict",
                                 "Conflicting value ethertype \(ethertype) for CIDR \(text)")
            }
            return parts.count == 1 ? "\(text)/128" : text
        }
        let cidr = text.contains("/") ? text : "\(text)/32"
        guard let subnet = IPv4Subnet(cidr, strict: false) else {
            throw Fault.invalid("remote_ip_prefix", "'\(text)' is not a valid IP subnet")
        }
        guard ethertype == "IPv4" else {
            throw Fault.make(.badRequest, "SecurityGroupRuleParameterConflict", "Conflicting value ethertype \(ethertype) for CIDR \(text)")
        }
        return "\(subnet)"
    }

    /// Where connections to a floating IP come from: the host, through its loopback.
    static let hostSource = IPv4Address("127.0.0.1")!

    /// Whether the rules let `protocol` traffic to `port` in from the host: an
    /// IPv4 ingress rule of that protocol (or any), whose range holds the port,
    /// from anywhere or from a prefix holding the loopback address. Rules
    /// naming a remote group admit only that group's members, never the host.
    static func admit(_ rules: [SecurityGroupRule], protocol: ForwardProtocol, port: Int) -> Bool {
        rules.contains { rule in
            guard let range = admittedRange(rule, protocol: `protocol`) else { return false }
            return range.contains(port)
        }
    }

    /// The ports `rule` lets `protocol` traffic in from the host on (all of
    /// them for a rule without a range), or nil when it lets none in.
    static func admittedRange(_ rule: SecurityGroupRule, protocol: ForwardProtocol) -> ClosedRange<Int>? {
        guard rule.direction == .ingress, rule.ethertype == "IPv4", rule.remoteGroupId == nil else { return nil }
        if let prefix = rule.remoteIpPrefix {
            guard let subnet = IPv4Subnet(prefix, strict: false), subnet.contains(hostSource) else { return nil }
        }
        if let name = rule.protocol {
            guard (protocolNumbers[name] ?? Int(name)) == (`protocol` == .tcp ? 6 : 17) else { return nil }
        }
        guard let low = rule.portRangeMin, let high = rule.portRangeMax else { return 1...65535 }
        return low...high
    }

    /// Ports forwarded when a rule admits a range too wide to forward port by
    /// port (or every port): the ones remote access uses.
    static let wellKnownPorts = [22, 80, 443, 3389, 5900, 5985, 5986, 8080, 8443]
    /// The most ports a floating IP forwards one by one from its rules' ranges.
    static let maximumRangePorts = 256

    /// The TCP ports a floating IP forwards to a port with these rules: every
    /// port of the admitted ranges of at most `maximumRangePorts` ports, and the
    /// well-known ones of wider ranges (or of rules with no range); only the
    /// well-known ones when even that comes to more than `maximumRangePorts`.
    static func forwardedTCPPorts(_ rules: [SecurityGroupRule]) -> [Int] {
        let ranges = rules.compactMap { admittedRange($0, protocol: .tcp) }
        let wellKnown = Set(wellKnownPorts.filter { port in ranges.contains { $0.contains(port) } })
        var ports = wellKnown
        for range in ranges where range.count <= maximumRangePorts { ports.formUnion(range) }
        return (ports.count <= maximumRangePorts ? ports : wellKnown).sorted()
    }
}
