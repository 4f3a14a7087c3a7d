import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A table of bad create requests: each is a clear 4xx in Neutron's shape,
/// never a 500, and leaves nothing behind.
@Suite("Network API bad inputs in process")
struct NetworkAPIBadInputTests {
    struct BadCreate: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var collection: String
        /// The body; NET stands for a network of the caller's with no subnet yet.
        var body: String
        var status: HTTPResponse.Status = .badRequest
        var type: String? = nil

        static let all: [BadCreate] = [
            BadCreate(testDescription: "malformed JSON", collection: "networks", body: #"{"network": "#),
            BadCreate(testDescription: "an empty body", collection: "networks", body: ""),
            BadCreate(testDescription: "a JSON array", collection: "networks", body: #"[{"network": {}}]"#),
            BadCreate(testDescription: "the wrong resource key", collection: "networks", body: #"{"subnet": {}}"#),
            BadCreate(testDescription: "an unknown network attribute", collection: "networks", body: #"{"network": {"name": "x", "color": "blue"}}"#),
            BadCreate(testDescription: "an unsupported extension's attribute", collection: "networks", body: #"{"network": {"port_security_enabled": false}}"#),
            BadCreate(testDescription: "a read-only attribute", collection: "networks", body: #"{"network": {"status": "DOWN"}}"#),
            BadCreate(testDescription: "admin_state_up not a boolean", collection: "networks", body: #"{"network": {"admin_state_up": "maybe"}}"#),
            BadCreate(testDescription: "name not a string", collection: "networks", body: #"{"network": {"name": 5}}"#),
            BadCreate(testDescription: "name null", collection: "networks", body: #"{"network": {"name": null}}"#),
            BadCreate(testDescription: "name longer than 255", collection: "networks", body: #"{"network": {"name": "\#(String(repeating: "n", count: 256))"}}"#),
            BadCreate(testDescription: "mtu too big", collection: "networks", body: #"{"network": {"mtu": 9000}}"#),
            BadCreate(testDescription: "mtu not a number", collection: "networks", body: #"{"network": {"mtu": "big"}}"#),
            BadCreate(testDescription: "project_id and tenant_id differ", collection: "networks", body: #"{"network": {"project_id": "a", "tenant_id": "b"}}"#),
            BadCreate(testDescription: "a bad CIDR", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.0.0.300/24", "ip_version": 4}}"#, type: "HTTPBadRequest"),
            BadCreate(testDescription: "a CIDR with host bits", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.5/24", "ip_version": 4}}"#),
            BadCreate(testDescription: "a CIDR without prefix", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0", "ip_version": 4}}"#),
            BadCreate(testDescription: "a /31", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/31", "ip_version": 4}}"#),
            BadCreate(testDescription: "no CIDR", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "ip_version": 4}}"#),
            BadCreate(testDescription: "no network_id", collection: "subnets", body: #"{"subnet": {"cidr": "10.70.0.0/24", "ip_version": 4}}"#),
            BadCreate(testDescription: "a network that does not exist", collection: "subnets", body: #"{"subnet": {"network_id": "3f1e0a7e-0000-4000-8000-000000000000", "cidr": "10.70.0.0/24"}}"#, status: .notFound, type: "NetworkNotFound"),
            BadCreate(testDescription: "ip_version 6", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "fd00::/64", "ip_version": 6}}"#),
            BadCreate(testDescription: "ip_version 5", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "ip_version": 5}}"#),
            BadCreate(testDescription: "a gateway outside the CIDR", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "gateway_ip": "10.71.0.1"}}"#, type: "InvalidInput"),
            BadCreate(testDescription: "the broadcast address as gateway", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "gateway_ip": "10.70.0.255"}}"#),
            BadCreate(testDescription: "a gateway not an address", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "gateway_ip": "router"}}"#),
            BadCreate(testDescription: "a pool outside the CIDR", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "allocation_pools": [{"start": "10.70.1.1", "end": "10.70.1.9"}]}}"#, type: "OutOfBoundsAllocationPool"),
            BadCreate(testDescription: "a pool ending before it starts", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "allocation_pools": [{"start": "10.70.0.9", "end": "10.70.0.2"}]}}"#),
            BadCreate(testDescription: "overlapping pools", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "allocation_pools": [{"start": "10.70.0.2", "end": "10.70.0.9"}, {"start": "10.70.0.5", "end": "10.70.0.20"}]}}"#, type: "OverlappingAllocationPools"),
            BadCreate(testDescription: "a pool without end", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "allocation_pools": [{"start": "10.70.0.2"}]}}"#),
            BadCreate(testDescription: "a pool holding the gateway", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "allocation_pools": [{"start": "10.70.0.1", "end": "10.70.0.9"}]}}"#, status: .conflict, type: "GatewayConflictWithAllocationPools"),
            BadCreate(testDescription: "a nameserver not an address", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "dns_nameservers": ["dns.example"]}}"#),
            BadCreate(testDescription: "a subnet pool", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "subnetpool_id": "pool"}}"#),
            BadCreate(testDescription: "an unknown subnet attribute", collection: "subnets", body: #"{"subnet": {"network_id": "NET", "cidr": "10.70.0.0/24", "prefixlen": 24}}"#),
            BadCreate(testDescription: "a port without network", collection: "ports", body: #"{"port": {"name": "p"}}"#),
            BadCreate(testDescription: "a port with a bad MAC", collection: "ports", body: #"{"port": {"network_id": "NET", "mac_address": "fa:16:3e:zz:00:01"}}"#),
            BadCreate(testDescription: "a port with a multicast MAC", collection: "ports", body: #"{"port": {"network_id": "NET", "mac_address": "01:00:5e:00:00:01"}}"#),
            BadCreate(testDescription: "fixed_ips not a list", collection: "ports", body: #"{"port": {"network_id": "NET", "fixed_ips": "10.70.0.5"}}"#),
            BadCreate(testDescription: "a port with an unknown attribute", collection: "ports", body: #"{"port": {"network_id": "NET", "allowed_address_pairs": []}}"#),
            BadCreate(testDescription: "a port with a security group that does not exist", collection: "ports", body: #"{"port": {"network_id": "NET", "security_groups": ["3f1e0a7e-0000-4000-8000-000000000000"]}}"#, status: .notFound, type: "SecurityGroupNotFound"),
            BadCreate(testDescription: "a port without port security", collection: "ports", body: #"{"port": {"network_id": "NET", "port_security_enabled": false}}"#),
            BadCreate(testDescription: "a floating IP from a network that is not external", collection: "floatingips", body: #"{"floatingip": {"floating_network_id": "NET"}}"#),
            BadCreate(testDescription: "a floating IP without network", collection: "floatingips", body: #"{"floatingip": {}}"#),
            BadCreate(testDescription: "a security group named default", collection: "security-groups", body: #"{"security_group": {"name": "default"}}"#, status: .conflict, type: "SecurityGroupDefaultAlreadyExists"),
            BadCreate(testDescription: "a security group with an unknown attribute", collection: "security-groups", body: #"{"security_group": {"name": "x", "rules": []}}"#),
            BadCreate(testDescription: "a rule for a group that does not exist", collection: "security-group-rules", body: #"{"security_group_rule": {"security_group_id": "3f1e0a7e-0000-4000-8000-000000000000", "direction": "ingress"}}"#, status: .notFound, type: "SecurityGroupNotFound"),
            BadCreate(testDescription: "a direct VNIC", collection: "ports", body: #"{"port": {"network_id": "NET", "binding:vnic_type": "direct"}}"#),
        ]
    }

    @Test("a bad create is a clear 4xx in Neutron's shape and creates nothing", arguments: BadCreate.all)
    func badCreate(_ bad: BadCreate) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "target"}"#)
            let before = try await (admin.listResources("networks").count, admin.listResources("subnets").count, admin.listResources("ports").count)
            let body = bad.body.replacingOccurrences(of: "NET", with: network)
            let response = try await admin.send(.post, "/network/v2.0/\(bad.collection)", headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(response.status == bad.status, "gave \(response.status): \(response.text.prefix(300))")
            let error = try response.neutronError()
            if let type = bad.type { #expect(error.type == type, "\(error)") }
            #expect(error.message.count < 600, "the message should not echo the whole body")
            let after = try await (admin.listResources("networks").count, admin.listResources("subnets").count, admin.listResources("ports").count)
            #expect(after == before)
        }
    }

    @Test("bad ids and filters are 4xx, never 500")
    func badPathsAndQueries() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            for path in ["networks/not-a-uuid", "subnets/%20", "ports/3f1e0a7e-0000-4000-8000-000000000000"] {
                let response = try await admin.neutron(.get, path)
                #expect(response.status == .notFound, "\(path): \(response.status)")
                try response.neutronError()
            }
            for query in ["networks?limit=-1", "networks?shared=perhaps", "networks?marker=nothing", "ports?fixed_ips="] {
                let response = try await admin.neutron(.get, query)
                #expect(response.status.code < 500, "\(query): \(response.status)")
            }
            let wrongType = try await admin.send(.post, "/network/v2.0/networks", headers: [.contentType: "text/plain"], body: ByteBuffer(string: "{}"))
            #expect(wrongType.status == .unsupportedMediaType)
            try wrongType.neutronError()
        }
    }
}
