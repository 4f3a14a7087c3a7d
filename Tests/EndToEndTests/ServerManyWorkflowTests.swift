import Foundation
import Testing

/// Many servers at once, and changes to a server that do not touch its VM.
@Suite("Many servers with the real openstack client", .serialized)
struct ServerManyWorkflowTests {
    @Test("20 creates in parallel against a quota of 15 make exactly 15 servers; 15 parallel deletes leave no QEMU, port or file")
    func parallelCreatesAndDeletes() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "installer")
        _ = try openstack.succeed("flavor", "create", "--ram", "128", "--disk", "1", "--vcpus", "1", "small")
        _ = try openstack.succeed("quota", "set", "--instances", "15", "--cores", "100", "--ram", "100000", "admin")

        let creates = await runConcurrently((1...20).map { index in
            (Repository.openstackClient, ["server", "create", "--flavor", "small", "--image", "installer", "vm\(index)"])
        }, environment: openstack.credentials)
        let refusals = creates.filter { $0.stderr.contains("Quota exceeded for instances") }
        #expect(creates.filter(\.succeeded).count == 15 && refusals.count == 5, "\(creates.map(\.stderr))")
        let servers = try #require(try openstack.json("server", "list") as? [[String: Any]])
        #expect(servers.count == 15, "the quota allows exactly 15: \(servers.count)")
        let ids = servers.compactMap { $0["ID"] as? String }
        let deletes = await runConcurrently(ids.map { (Repository.openstackClient, ["server", "delete", "--wait", $0]) }, environment: openstack.credentials)
        #expect(deletes.filter { !$0.succeeded }.isEmpty, "\(deletes.map(\.stderr))")
        let remaining = try #require(try openstack.json("server", "list") as? [[String: Any]])
        #expect(remaining.isEmpty, "\(remaining)")
        for id in ids {
            #expect(try shell("pgrep -f '[-]uuid \(id)'").stdout.isEmpty, "QEMU of \(id) outlived its server")
        }
        let ports = try #require(try openstack.json("port", "list", "--device-owner", "compute:nova") as? [[String: Any]])
        #expect(ports.isEmpty, "ports left: \(ports)")
        let instances = (try? FileManager.default.contentsOfDirectory(atPath: nimbus.dataDirectory.appendingPathComponent("instances").path)) ?? []
        #expect(instances.isEmpty, "instance directories left: \(instances)")
        withExtendedLifetime(nimbus) {}
    }

    @Test("min/max count names the servers; server set and unset change the name and properties; metadata past its quota is 403")
    func multipleCreateAndMetadata() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "installer")
        _ = try openstack.succeed("server", "create", "--flavor", "m1.tiny", "--image", "installer", "--min", "2", "--max", "2", "--property", "role=web", "pair")
        let names = try #require(try openstack.json("server", "list") as? [[String: Any]]).compactMap { $0["Name"] as? String }.sorted()
        #expect(names == ["pair-1", "pair-2"], "\(names)")

        _ = try openstack.succeed("server", "set", "--name", "web-1", "--property", "tier=front", "pair-1")
        var shown = try #require(try openstack.json("server", "show", "web-1") as? [String: Any])
        let properties = "\(shown["properties"] ?? "")"
        #expect(properties.contains("role") && properties.contains("tier"), "\(properties)")
        _ = try openstack.succeed("server", "unset", "--property", "role", "web-1")
        shown = try #require(try openstack.json("server", "show", "web-1") as? [String: Any])
        #expect(!"\(shown["properties"] ?? "")".contains("role"), "\(shown["properties"] ?? "")")

        _ = try openstack.succeed("quota", "set", "--properties", "2", "admin")
        let tooMany = try openstack("server", "set", "--property", "a=1", "--property", "b=2", "web-1")
        #expect(!tooMany.succeeded && tooMany.stderr.contains("metadata_items"), "\(tooMany.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "web-1", "pair-2")
        withExtendedLifetime(nimbus) {}
    }
}
