import Foundation
import Identity
import NimbusCore
import NimbusStore
import Testing
@testable import Networking

/// The calls the compute service makes for a server's NICs.
@Suite("Ports for servers: allocate, attach, status, release")
struct ComputeFacingTests {
    let store: Store
    let networks: NetworkService
    let adminProject = ProjectID(rawValue: "admin-project")

    init() throws {
        store = try Store(inMemory: ())
        networks = NetworkService(store: store)
        try networks.bootstrap(adminProject: adminProject)
    }

    static func auth(_ project: String, _ roles: [String]) -> AuthContext {
        AuthContext(
            userId: UserID(rawValue: "u-\(project)"), userName: "user", userDomainId: .default,
            project: Project(id: ProjectID(rawValue: project), domainId: .default, name: project),
            roles: roles.map { Role(id: RoleID(rawValue: $0), name: $0) }, issuedAt: .now, expiresAt: .distantFuture, auditId: "a")
    }

    @Test("bootstrap is idempotent")
    func bootstrapTwice() throws {
        try networks.bootstrap(adminProject: adminProject)
        #expect(try store.networks().map(\.name) == ["private", "public"])
        #expect(try store.subnets().count == 2)
    }

    @Test("a renamed router1 keeps private's gateway: the next start makes no second router and still starts")
    func renamedRouter() throws {
        let admin = Self.auth(adminProject.rawValue, ["admin", "member"])
        let router = try #require(try store.routers().first { $0.name == NetworkService.routerName })
        var changes = NetworkService.RouterChanges()
        changes.name = "edge"
        _ = try networks.updateRouter(router.id.rawValue, changes, admin)
        try networks.bootstrap(adminProject: adminProject)
        #expect(try store.routers().map(\.name) == ["edge"])
    }

    @Test("a member's server gets a port on the shared network, by name; ports go with the server")
    func allocateAndRelease() throws {
        let member = Self.auth("project-b", ["member"])
        let network = try networks.usableNetwork("private", member)
        let first = try networks.allocatePort(network: network.id, deviceID: "server-1", project: ProjectID(rawValue: "project-b"))
        let second = try networks.allocatePort(network: network.id, fixedIP: "10.0.0.99", deviceID: "server-1", project: ProjectID(rawValue: "project-b"))
        #expect(first.fixedIPs.map(\.ipAddress) == ["10.0.0.10"])
        #expect(second.fixedIPs.map(\.ipAddress) == ["10.0.0.99"])
        #expect(first.deviceOwner == NetworkPort.computeOwner)
        #expect(first.status == .down)
        let taken = #expect(throws: NimbusError.self) {
            try networks.allocatePort(network: network.id, fixedIP: "10.0.0.99", deviceID: "server-2", project: adminProject)
        }
        #expect(taken?.code == .conflict)

        let projectB = ProjectID(rawValue: "project-b")
        try networks.setPortStatus(deviceID: "server-1", project: projectB, .active, hostID: "nimbus-host")
        #expect(try networks.ports(deviceID: "server-1", project: projectB).map(\.status) == [.active, .active])
        #expect(try networks.ports(deviceID: "server-1", project: projectB).first?.bindingHostId == "nimbus-host")

        let deleted = try networks.releasePorts(deviceID: "server-1", project: projectB)
        #expect(Set(deleted.map(\.id)) == [first.id, second.id])
        #expect(try networks.ports(deviceID: "server-1", project: projectB).isEmpty)
        #expect(try networks.allocatePort(network: network.id, deviceID: "server-3", project: adminProject).fixedIPs.map(\.ipAddress) == ["10.0.0.10"])
    }

    @Test("another project's private network and the external one are not usable by a member")
    func usability() throws {
        let admin = Self.auth(adminProject.rawValue, ["admin"])
        let mine = try networks.createNetwork({ var draft = NetworkService.NetworkDraft(); draft.name = "admin-net"; return draft }(), admin)
        let member = Self.auth("project-b", ["member"])
        let cases: [(String, AuthContext, NimbusError.Code)] = [
            (mine.id.rawValue, member, .notFound), ("public", member, .forbidden), ("nothing", member, .notFound),
            ("private", Self.auth("project-b", ["reader"]), .forbidden),
        ]
        for (name, auth, code) in cases {
            let error = #expect(throws: NimbusError.self) { try networks.usableNetwork(name, auth) }
            #expect(error?.code == code, "\(name)")
        }
        #expect(try networks.usableNetwork("admin-net", admin).id == mine.id)
    }

    @Test("a port the user brought is attached, then unbound (not deleted) when the server goes")
    func attachAndPreserve() throws {
        let member = Self.auth("project-b", ["member"])
        let network = try networks.usableNetwork("private", member)
        let own = try networks.createPort(NetworkService.PortDraft(networkId: network.id.rawValue), member)
        let attached = try networks.attachPort(own.id.rawValue, deviceID: "server-9", member)
        #expect(attached.deviceId == "server-9")
        let busy = #expect(throws: NimbusError.self) { try networks.attachPort(own.id.rawValue, deviceID: "server-10", member) }
        #expect(busy?.code == .conflict)
        let made = try networks.allocatePort(network: network.id, deviceID: "server-9", project: ProjectID(rawValue: "project-b"))

        let deleted = try networks.releasePorts(deviceID: "server-9", project: ProjectID(rawValue: "project-b"), preserving: [own.id])
        #expect(deleted.map(\.id) == [made.id])
        let kept = try #require(try store.port(id: own.id))
        #expect(kept.deviceId == "")
        #expect(kept.deviceOwner == "")
        #expect(kept.status == .down)
        #expect(kept.fixedIPs == own.fixedIPs, "the user's port keeps its address")
    }

    @Test("a port of another project naming a server as its device is not that server's: no NIC, no forwards, not released")
    func deviceIDOfAnotherProject() throws {
        let projectB = ProjectID(rawValue: "project-b")
        let network = try networks.usableNetwork("private", Self.auth("project-b", ["member"]))
        let real = try networks.allocatePort(network: network.id, deviceID: "victim", project: projectB)
        var draft = NetworkService.PortDraft(networkId: network.id.rawValue)
        draft.deviceId = "victim"
        draft.deviceOwner = NetworkPort.computeOwner
        let planted = try networks.createPort(draft, Self.auth("project-c", ["member"]))
        #expect(planted.deviceId == "victim", "Neutron lets anyone write any device_id on their own port")

        #expect(try networks.ports(deviceID: "victim", project: projectB).map(\.id) == [real.id])
        #expect(try networks.forwards(deviceID: "victim", project: projectB).keys.sorted { $0.rawValue < $1.rawValue } == [real.id])
        try networks.setSecurityGroups(deviceID: "victim", project: projectB) { $0 = [] }
        #expect(try store.port(id: planted.id)?.securityGroupIds.isEmpty == false, "the victim's group change does not touch the planted port")
        #expect(try networks.releasePorts(deviceID: "victim", project: projectB).map(\.id) == [real.id])
        #expect(try store.port(id: planted.id) != nil, "deleting the victim does not delete the planted port")
    }
}
