import Foundation
import Testing

/// Quotas as an admin sets them and a project member meets them.
@Suite("Quotas with the real openstack client", .serialized)
struct QuotaWorkflowTests {
    @Test("an admin sets a project's quotas; the member sees them, cannot change them, and is refused past them with 403")
    func quotasLimitAProject() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let bob = try admin.newMember()
        _ = try admin.succeed("image", "create", "--public", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "installer")

        let defaults = try quotaLimits(bob, "quota", "show")
        #expect(defaults["instances"] == 10 && defaults["cores"] == 20 && defaults["ram"] == 51200, "\(defaults)")
        #expect(defaults["networks"] == 100 && defaults["ports"] == 500, "\(defaults)")

        _ = try admin.succeed("quota", "set", "--instances", "1", "--ram", "4096", "--networks", "1", "project-b")
        let limits = try quotaLimits(bob, "quota", "show")
        #expect(limits["instances"] == 1 && limits["ram"] == 4096 && limits["cores"] == 20 && limits["networks"] == 1, "\(limits)")
        let refusedSet = try bob("quota", "set", "--instances", "50", "project-b")
        #expect(!refusedSet.succeeded && refusedSet.stderr.contains("403"), "\(refusedSet.stderr)")

        let tooBig = try bob("server", "create", "--flavor", "m1.large", "--image", "installer", "big")
        #expect(!tooBig.succeeded, "m1.large needs 8192 MiB of a 4096 MiB quota")
        #expect(tooBig.stderr.contains("Quota exceeded for ram") && tooBig.stderr.contains("403"), "\(tooBig.stderr)")

        _ = try bob.succeed("server", "create", "--flavor", "m1.tiny", "--image", "installer", "first")
        let second = try bob("server", "create", "--flavor", "m1.tiny", "--image", "installer", "second")
        #expect(second.stderr.contains("Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"), "\(second.stderr)")
        let servers = try #require(try bob.json("server", "list") as? [[String: Any]])
        #expect(servers.map { $0["Name"] as? String } == ["first"], "refused creates must leave nothing: \(servers)")

        let usage = try #require(try bob.json("quota", "show", "--usage") as? [[String: Any]])
        let instances = try #require(usage.first { $0["Resource"] as? String == "instances" })
        #expect(instances["In Use"] as? Int == 1, "\(instances)")
        let below = try admin("quota", "set", "--instances", "0", "project-b")
        #expect(below.stderr.contains("must be greater than or equal to already used"), "\(below.stderr)")

        _ = try bob.succeed("network", "create", "mine")
        let secondNetwork = try bob("network", "create", "another")
        #expect(secondNetwork.stderr.contains("Quota exceeded for resources: ['network']"), "\(secondNetwork.stderr)")

        _ = try bob.succeed("server", "delete", "--wait", "first")
        _ = try bob.succeed("server", "create", "--flavor", "m1.tiny", "--image", "installer", "after-delete")
        _ = try bob.succeed("server", "delete", "--wait", "after-delete")
        withExtendedLifetime(nimbus) {}
    }

    /// `openstack quota show` as resource → limit.
    func quotaLimits(_ client: OpenStackClient, _ arguments: String...) throws -> [String: Int] {
        let result = try run(Repository.openstackClient, arguments + ["-f", "json"], environment: client.credentials)
        guard result.succeeded else { throw E2EError("quota show failed: \(result.stderr)") }
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        var limits: [String: Int] = [:]
        for row in rows { if let name = row["Resource"] as? String, let limit = row["Limit"] as? Int { limits[name] = limit } }
        return limits
    }
}
