import Foundation
import NimbusCore
import Testing
@testable import Networking

@Suite("Security group rules: checks, and the ports a floating IP forwards")
struct SecurityGroupRulesTests {
    static let group = SecurityGroup(id: .generate(), projectId: ProjectID(rawValue: "p"), name: "web", now: .now)

    static func rule(
        _ direction: String = "ingress", protocol: String? = "tcp", _ min: Int? = nil, _ max: Int? = nil,
        prefix: String? = nil, ethertype: String = "IPv4"
    ) throws -> SecurityGroupRule {
        var draft = NetworkService.SecurityGroupRuleDraft(securityGroupId: group.id.rawValue, direction: direction)
        draft.protocol = `protocol`
        draft.portRangeMin = min
        draft.portRangeMax = max
        draft.remoteIpPrefix = prefix
        draft.ethertype = ethertype
        return try SecurityGroupRules.validated(draft, group: group)
    }

    @Test("Neutron's refusals: direction, protocol, ranges, prefixes")
    func refusals() throws {
        #expect(throws: (any Error).self) { try Self.rule("sideways") }
        #expect(throws: (any Error).self) { try Self.rule(protocol: "carrier-pigeon") }
        #expect(throws: (any Error).self) { try Self.rule(protocol: nil, 22, 22) }
        #expect(throws: (any Error).self) { try Self.rule(protocol: "tcp", 30, 20) }
        #expect(throws: (any Error).self) { try Self.rule(protocol: "tcp", 0, 20) }
        #expect(throws: (any Error).self) { try Self.rule(protocol: "icmp", 300) }
        #expect(throws: (any Error).self) { try Self.rule(prefix: "10.0.0.0/40") }
        #expect(throws: (any Error).self) { try Self.rule(prefix: "::/0") }
        #expect(try Self.rule(protocol: "TCP", 22).portRangeMax == 22, "a single port is min and max")
        #expect(try Self.rule(prefix: "10.1.2.3/8").remoteIpPrefix == "10.0.0.0/8", "a prefix is stored as its network")
        #expect(try Self.rule(protocol: "6", 22, 22).protocol == "6")
        #expect(try Self.rule(protocol: "any").protocol == nil)
        #expect(throws: (any Error).self) { try Self.rule(prefix: "foo:bar", ethertype: "IPv6") }
        #expect(throws: (any Error).self) { try Self.rule(prefix: "fd00::/129", ethertype: "IPv6") }
        #expect(try Self.rule(prefix: "::/0", ethertype: "IPv6").remoteIpPrefix == "::/0")
        #expect(try Self.rule(prefix: "fd00::1", ethertype: "IPv6").remoteIpPrefix == "fd00::1/128")
    }

    @Test("a floating IP forwards the TCP ports that ingress rules open to the host")
    func forwardedPorts() throws {
        #expect(SecurityGroupRules.forwardedTCPPorts([]) == [])
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule("egress")]) == [], "egress opens nothing")
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "tcp", 22, 22, prefix: "0.0.0.0/0")]) == [22])
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "udp", 22, 22)]) == [], "UDP rules do not open TCP")
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "tcp", 22, 22, prefix: "10.0.0.0/8")]) == [],
                "a prefix without the host's loopback address keeps the host out")
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "tcp", 22, 22, prefix: "127.0.0.0/8")]) == [22])
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "tcp", 8000, 8003), try Self.rule(protocol: "tcp", 3389)])
                == [3389, 8000, 8001, 8002, 8003])
        let wide = SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: "tcp", 1, 65535), try Self.rule(protocol: "tcp", 7000, 7001)])
        #expect(wide == [22, 80, 443, 3389, 5900, 5985, 5986, 7000, 7001, 8080, 8443], "a wide range forwards the well-known ports")
        #expect(SecurityGroupRules.forwardedTCPPorts([try Self.rule(protocol: nil)]) == SecurityGroupRules.wellKnownPorts)
        var fromGroup = try Self.rule(protocol: "tcp", 22, 22)
        fromGroup.remoteGroupId = Self.group.id
        #expect(SecurityGroupRules.forwardedTCPPorts([fromGroup]) == [], "a remote-group rule admits the group's members only")
    }

    @Test("port forwardings need a rule for their internal port and protocol")
    func admission() throws {
        let rules = [try Self.rule(protocol: "tcp", 22, 22), try Self.rule(protocol: "udp", 53, 53)]
        #expect(SecurityGroupRules.admit(rules, protocol: .tcp, port: 22))
        #expect(!SecurityGroupRules.admit(rules, protocol: .tcp, port: 53))
        #expect(SecurityGroupRules.admit(rules, protocol: .udp, port: 53))
        #expect(!SecurityGroupRules.admit(rules, protocol: .udp, port: 22))
    }
}
