import Foundation
import NimbusCore
@testable import NimbusStore
import Testing

/// The schema's invariants hold even for a caller that skips the service's checks.
@Suite("Network tables and their invariants")
struct NetworkStoreTests {
    let store: Store
    let network: Network
    let subnet: Subnet

    /// Whole seconds: the database keeps milliseconds, and equality is checked after a round trip.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    init() throws {
        store = try Store(inMemory: ())
        let project = ProjectID(rawValue: "p")
        network = Network(id: .generate(), projectId: project, name: "net", now: Self.now)
        subnet = Subnet(
            id: .generate(), networkId: network.id, projectId: project, name: "sub", cidr: "10.0.0.0/24", gatewayIP: "10.0.0.1",
            allocationPools: [AllocationPool(start: "10.0.0.2", end: "10.0.0.254")], now: Self.now)
        try store.insertNetwork(network, subnets: [subnet])
    }

    func port(mac: String, ip: String?) throws -> NetworkPort? {
        let port = NetworkPort(id: .generate(), networkId: network.id, projectId: network.projectId, macAddress: mac, now: Self.now)
        return try store.insertPort(port) { port, _ in
            port.fixedIPs = ip.map { [FixedIP(subnetId: subnet.id, ipAddress: $0)] } ?? []
        }
    }

    @Test("round trip: a network lists its subnets, a port its addresses")
    func roundTrip() throws {
        let created = try #require(try port(mac: "fa:16:3e:00:00:01", ip: "10.0.0.5"))
        #expect(try store.network(id: network.id)?.subnetIds == [subnet.id])
        #expect(try store.subnet(id: subnet.id) == subnet)
        let read = try #require(try store.port(id: created.id))
        #expect(read.fixedIPs == [FixedIP(subnetId: subnet.id, ipAddress: "10.0.0.5")])
        #expect(read.macAddress == "fa:16:3e:00:00:01")
    }

    @Test("one address, one port; one MAC, one port")
    func uniqueness() throws {
        _ = try port(mac: "fa:16:3e:00:00:01", ip: "10.0.0.5")
        #expect(throws: NimbusError.self) { try port(mac: "fa:16:3e:00:00:02", ip: "10.0.0.5") }
        #expect(throws: NimbusError.self) { try port(mac: "fa:16:3e:00:00:01", ip: "10.0.0.6") }
        #expect(try store.ports().count == 1, "a refused insert leaves nothing")
    }

    @Test("an address on another network's subnet is refused by the schema")
    func addressBelongsToTheNetwork() throws {
        let other = Network(id: .generate(), projectId: network.projectId, name: "other", now: Self.now)
        try store.insertNetwork(other)
        let port = NetworkPort(id: .generate(), networkId: other.id, projectId: other.projectId, macAddress: "fa:16:3e:00:00:03", now: Self.now)
        #expect(throws: (any Error).self) {
            try store.insertPort(port) { port, _ in port.fixedIPs = [FixedIP(subnetId: subnet.id, ipAddress: "10.0.0.9")] }
        }
    }

    @Test("a subnet in use cannot go; a network takes its subnets, ports and addresses with it")
    func deletion() throws {
        _ = try port(mac: "fa:16:3e:00:00:01", ip: "10.0.0.5")
        // Skipping the service's check: the schema still refuses.
        #expect(throws: (any Error).self) {
            try store.write { db in try db.execute(sql: "DELETE FROM subnet WHERE id = ?", arguments: [subnet.id.rawValue]) }
        }
        var seen = 0
        let deleted = try store.deleteNetwork(id: network.id) { _, ports, _ in seen = ports.count }
        #expect(deleted != nil)
        #expect(seen == 1, "the check sees the ports still on the network")
        #expect(try store.subnets().isEmpty)
        #expect(try store.ports().isEmpty)
        #expect(try port(mac: "fa:16:3e:00:00:01", ip: nil) == nil, "no port on a network that is gone")
    }
}
