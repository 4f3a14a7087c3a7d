import Foundation
import Identity
import Networking
import NimbusCore
import NimbusStore
import Synchronization
import Testing

/// The server list is asked of the database a page at a time, and a page's
/// addresses and security groups are read together: the cost follows the
/// page, not the number of servers in the cloud or on the page.
@Suite("Server list cost and keyset paging")
struct ServerListingTests {
    let store: Store
    let counter = Counter()
    let flavor = Flavor(id: FlavorID(rawValue: "1"), name: "m1.tiny", vcpus: 1, ram: 512, disk: 1, createdAt: .now)
    let projectA = ProjectID(rawValue: "project-a")
    let projectB = ProjectID(rawValue: "project-b")

    final class Counter: Sendable {
        let count = Mutex(0)
    }

    init() throws {
        let counter = self.counter
        store = try Store(inMemory: ()) { sql in
            if sql.uppercased().hasPrefix("SELECT") { counter.count.withLock { $0 += 1 } }
        }
    }

    /// SELECT statements `body` ran.
    func selects(_ body: () throws -> Void) rethrows -> Int {
        let before = counter.count.withLock { $0 }
        try body()
        return counter.count.withLock { $0 } - before
    }

    @discardableResult
    func server(_ index: Int, project: ProjectID, at time: Date, _ change: (inout Server) -> Void = { _ in }) throws -> Server {
        var server = Server(
            id: .generate(), name: "server-\(index)", projectId: project, userId: UserID(rawValue: "user"), imageId: nil,
            flavor: flavor, now: time)
        change(&server)
        try store.insert(server)
        return server
    }

    @Test("at 2,000 servers a page is one query (two with a marker); another project's servers and markers are not there")
    func pageCostsOneQuery() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<2_000 {
            try server(index, project: index % 2 == 0 ? projectA : projectB, at: start.addingTimeInterval(Double(index)))
        }
        var listing = ServerListing(project: projectA, limit: 25)
        var page: (servers: [Server], more: Bool)?
        #expect(selects { page = try? store.servers(listing) } == 1)
        #expect(page?.servers.count == 25)
        #expect(page?.more == true)
        #expect(page?.servers.first?.name == "server-1998", "newest first")
        #expect(page?.servers.allSatisfy { $0.projectId == projectA } == true)
        listing.marker = page?.servers.last?.id
        #expect(selects { page = try? store.servers(listing) } == 2)
        #expect(page?.servers.first?.name == "server-1948")

        let theirs = try #require(try store.servers(ServerListing(project: projectB, limit: 1))?.servers.first)
        listing.marker = theirs.id
        #expect(try store.servers(listing) == nil, "a marker in another project is not found")
        listing.marker = nil
        listing.ids = [theirs.id]
        #expect(try store.servers(listing)?.servers.isEmpty == true, "another project's server is not listed by id")
        // More ids than SQLite takes arguments: they go as one JSON argument.
        let mine = try #require(try store.servers(ServerListing(project: projectA, limit: 3))?.servers)
        listing.ids = (0..<40_000).map { _ in ServerID.generate() } + mine.map(\.id)
        #expect(try store.servers(listing)?.servers.map(\.id) == mine.map(\.id))
    }

    @Test("walking pages of 3 gives the servers of one page, in its order, for every order and with filters tested in Swift", arguments: [
        nil, ("name", true), ("name", false), ("description", true), ("description", false), ("launched_at", false),
        ("power_state", true), ("id", false),
    ] as [(String, Bool)?])
    func keysetMatchesOnePage(sort: (String, Bool)?) throws {
        // Ties in every column, NULL descriptions and launch times, equal creation times: where keyset paging goes wrong.
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<23 {
            try server(index, project: projectA, at: start.addingTimeInterval(Double(index / 3))) { server in
                server.name = "name-\(index % 4)"
                server.description = index % 3 == 0 ? nil : "about \(index % 2)"
                server.launchedAt = index % 5 == 0 ? nil : start.addingTimeInterval(Double(index % 4))
                server.powerState = index % 2 == 0 ? .running : .shutdown
                server.vmState = index % 2 == 0 ? .active : .stopped
            }
        }
        try server(99, project: projectB, at: start)
        for matches in [nil, { (server: Server) in server.status == "ACTIVE" }] as [(@Sendable (Server) -> Bool)?] {
            var listing = ServerListing(project: projectA, limit: 1000)
            listing.sort = sort.map { (column: $0.0, ascending: $0.1) }
            listing.matches = matches
            let whole = try #require(try store.servers(listing)).servers.map(\.id)
            #expect(whole.count == (matches == nil ? 23 : 12))
            listing.limit = 3
            var walked: [ServerID] = []
            while let page = try store.servers(listing) {
                walked += page.servers.map(\.id)
                guard page.more, let last = page.servers.last else { break }
                listing.marker = last.id
            }
            #expect(walked == whole)
        }
    }

    @Test("a page's addresses, floating IPs and security groups are read in the same few queries for 5 servers as for 100")
    func networkingOfAPage() throws {
        let networks = NetworkService(store: store)
        try networks.bootstrap(adminProject: projectA)
        let network = try #require(try store.networks().first { $0.name == "private" })
        var devices: [(id: String, project: ProjectID)] = []
        for index in 0..<100 {
            let id = "device-\(index)"
            _ = try networks.allocatePort(network: network.id, deviceID: id, project: projectA)
            if index % 10 == 0 { _ = try networks.allocatePort(network: network.id, deviceID: id, project: projectA) }
            devices.append((id, projectA))
        }
        // A port of another project on the same device id is not this device's.
        _ = try networks.allocatePort(network: network.id, deviceID: "device-1", project: projectB)

        var few: NetworkService.Devices?
        var many: NetworkService.Devices?
        let fewQueries = selects { few = try? networks.devices(Array(devices.prefix(5))) }
        let manyQueries = selects { many = try? networks.devices(devices) }
        let page = try #require(many)
        #expect(fewQueries == manyQueries)
        #expect(manyQueries <= 6)
        #expect(few?.ports.count == 5)
        #expect(page.ports.values.map { $0.count }.reduce(0, +) == 110)
        #expect(page.ports["device-1"]?.allSatisfy { $0.projectId == projectA } == true)
        #expect(page.ports["device-10"]?.count == 2)
        #expect(page.networkNames[network.id] == "private")
        let groups = Set(page.ports.values.joined().flatMap { $0.securityGroupIds })
        #expect(!groups.isEmpty && groups.allSatisfy { page.securityGroups[$0]?.name == "default" })
    }
}

extension ServerListingTests {
    @Test("a server read back has every field it was written with")
    func roundTrip() throws {
        let time = Date(timeIntervalSince1970: 1_800_000_000.25)
        let written = try server(7, project: projectA, at: time) { server in
            server.imageId = ImageID(rawValue: "6b5c1f3e-0000-4000-8000-000000000001")
            server.flavorExtraSpecs = ["hw:tpm_version": "2.0"]
            server.imageOverrides = ["hw_disk_bus": "virtio"]
            server.ephemeral = 2
            server.swap = 512
            server.vmState = .error
            server.taskState = .rebooting
            server.powerState = .paused
            server.fault = ServerFault(code: 500, message: "it broke", created: time)
            server.metadata = ["role": "web", "tier": "1"]
            server.keyName = "key"
            server.keyData = "ssh-ed25519 AAAA"
            server.userData = "I2Nsb3VkLWNvbmZpZw=="
            server.configDrive = true
            server.drives = [CDDrive(id: "cd0", imageId: server.imageId), CDDrive(id: "cd1", imageId: nil)]
            server.rescueImageId = server.imageId
            server.preservedPortIds = [PortID(rawValue: "6b5c1f3e-0000-4000-8000-000000000002")]
            server.locked = true
            server.lockedReason = "audit"
            server.accessIpv4 = "192.0.2.1"
            server.accessIpv6 = "2001:db8::1"
            server.updatedAt = time.addingTimeInterval(60)
            server.launchedAt = time.addingTimeInterval(30)
            server.description = "described"
            server.tags = ["a", "b"]
            server.reservationId = "r-abcdef12"
            server.launchIndex = 3
        }
        #expect(try store.server(id: written.id) == written)
        let plain = try server(8, project: projectA, at: time)
        #expect(try store.server(id: plain.id) == plain)
    }
}
