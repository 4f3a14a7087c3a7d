import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Neutron's default policy across projects and roles.
@Suite("Network isolation between projects in process")
struct NetworkIsolationTests {
    @Test("another project sees shared and external networks, not private ones; those are 404")
    func visibility() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let secret = try await admin.createNetwork(#"{"name": "admin-only"}"#)
            let secretSubnet = try #require(try await admin.createSubnet(network: secret, cidr: "10.50.0.0/24")["id"] as? String)
            let secretPort = try #require(try await admin.createPort(network: secret, #", "name": "admin-port""#)["id"] as? String)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")

            #expect(try await bob.names("networks") == ["private", "public"])
            #expect(try await bob.names("subnets") == ["private-subnet", "public-subnet"])
            #expect(try await bob.names("ports") == [])
            for (resource, path) in [("network", "networks/\(secret)"), ("subnet", "subnets/\(secretSubnet)"), ("port", "ports/\(secretPort)")] {
                for method in [HTTPRequest.Method.get, .delete] {
                    let response = try await bob.neutron(method, path)
                    #expect(response.status == .notFound, "\(method) \(path) gave \(response.status)")
                    try response.neutronError()
                }
                let update = try await bob.neutron(.put, path, #"{"\#(resource)": {"name": "mine"}}"#)
                #expect(update.status == .notFound, "PUT \(path) gave \(update.status): \(update.text)")
            }
            let portOnSecret = try await bob.neutron(.post, "ports", #"{"port": {"network_id": "\#(secret)"}}"#)
            #expect(portOnSecret.status == .notFound)
            #expect(try portOnSecret.neutronError().type == "NetworkNotFound")

            let mine = try await bob.createNetwork(#"{"name": "bobs"}"#)
            #expect(try await admin.neutron(.get, "networks/\(mine)").status == .ok, "admins see every project's networks")
            #expect(try await admin.names("networks").isSuperset(of: ["admin-only", "bobs", "private", "public"]))
        }
    }

    @Test("a member uses the shared network but does not own it; shared and external are admin-only")
    func sharedNetwork() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let privateNet = try await bob.networkID(named: "private")
            let subnet = try #require(try await bob.listResources("subnets", "name=private-subnet").first?["id"] as? String)

            let port = try await bob.createPort(network: privateNet, #", "name": "bobs-nic", "fixed_ips": [{"subnet_id": "\#(subnet)"}]"#)
            #expect(port["project_id"] as? String == project)
            #expect(addresses(port) == ["10.0.0.10"])
            #expect(try await bob.names("ports") == ["bobs-nic"])

            let cases: [(String, String, String)] = [
                ("ports", #"{"port": {"network_id": "\#(privateNet)", "fixed_ips": [{"ip_address": "10.0.0.77"}]}}"#, "choosing an address"),
                ("ports", #"{"port": {"network_id": "\#(privateNet)", "mac_address": "fa:16:3e:00:00:01"}}"#, "choosing a MAC"),
                ("subnets", #"{"subnet": {"network_id": "\#(privateNet)", "cidr": "10.60.0.0/24", "ip_version": 4}}"#, "a subnet on it"),
                ("networks", #"{"network": {"name": "s", "shared": true}}"#, "a shared network"),
                ("networks", #"{"network": {"name": "e", "router:external": true}}"#, "an external network"),
            ]
            for (collection, body, what) in cases {
                let response = try await bob.neutron(.post, collection, body)
                #expect(response.status == .forbidden, "\(what) gave \(response.status): \(response.text)")
                try response.neutronError()
            }
            let publicNet = try await bob.networkID(named: "public")
            #expect(try await bob.neutron(.post, "ports", #"{"port": {"network_id": "\#(publicNet)"}}"#).status == .forbidden)
            #expect(try await bob.neutron(.delete, "networks/\(privateNet)").status == .forbidden)
            #expect(try await bob.neutron(.put, "networks/\(privateNet)", #"{"network": {"name": "mine"}}"#).status == .forbidden)
            let other = try await bob.neutron(.post, "networks", #"{"network": {"name": "x", "project_id": "0123456789abcdef0123456789abcdef"}}"#)
            #expect(other.status == .badRequest)

            let unshare = try await admin.neutron(.put, "networks/\(privateNet)", #"{"network": {"shared": false}}"#)
            #expect(unshare.status == .conflict, "another project has a port on it: \(unshare.text)")
        }
    }

    @Test("a reader lists and shows but creates nothing")
    func reader() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-r")
            let reader = try await admin.newUser("rita", role: "reader", projectID: project, projectName: "project-r")
            #expect(try await reader.names("networks") == ["private", "public"])
            let privateNet = try await reader.networkID(named: "private")
            for (collection, body) in [
                ("networks", #"{"network": {"name": "r"}}"#),
                ("ports", #"{"port": {"network_id": "\#(privateNet)"}}"#),
            ] {
                let response = try await reader.neutron(.post, collection, body)
                #expect(response.status == .forbidden, "\(collection): \(response.status)")
                try response.neutronError()
            }
        }
    }
}
