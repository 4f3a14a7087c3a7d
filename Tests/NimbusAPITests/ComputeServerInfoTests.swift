import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Nova's smaller server surfaces: access addresses, the update answer, ips,
/// the password, list paging and filters, zones and hypervisors.
@Suite("Compute server details in process")
struct ComputeServerInfoTests {
    /// Creates a server on `private` and waits until it is ACTIVE; returns the create answer's server.
    static func activeServer(_ caller: Caller, _ image: String, name: String, extra: String = "") async throws -> [String: Any] {
        let created = try await caller.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "\#(name)", "imageRef": "\#(image)", "flavorRef": "1"\#(extra)}}"#)
        try #require(created.status == .accepted, "\(created.text)")
        let server = try #require(try created.object()["server"] as? [String: Any])
        let id = try #require(server["id"] as? String)
        for _ in 0..<200 {
            let shown = try await caller.send(.get, "/compute/v2.1/servers/\(id)")
            if (try shown.object()["server"] as? [String: Any])?["status"] as? String == "ACTIVE" { return server }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("server \(name) did not become ACTIVE")
        return server
    }

    @Test("access addresses are kept and checked; adminPass is the one asked for; PUT answers 2.1's core view")
    func accessAndUpdate() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let created = try await Self.activeServer(
                admin, iso, name: "web", extra: #", "accessIPv4": "1.1.1.1", "accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2", "adminPass": "testpassword""#)
            #expect(created["adminPass"] as? String == "testpassword")
            let id = try #require(created["id"] as? String)
            let shown = try #require(try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any])
            #expect(shown["accessIPv4"] as? String == "1.1.1.1" && shown["accessIPv6"] as? String == "::babe:dc0c:1602", "IPv6 kept compressed, as Nova keeps it")

            let updated = try await admin.send(.put, "/compute/v2.1/servers/\(id)", json: #"{"server": {"name": "web2", "accessIPv4": "4.3.2.1"}}"#)
            #expect(updated.status == .ok, "\(updated.text)")
            let body = try #require(try updated.object()["server"] as? [String: Any])
            #expect(body["name"] as? String == "web2" && body["accessIPv4"] as? String == "4.3.2.1")
            #expect(body["accessIPv6"] as? String == "::babe:dc0c:1602", "an address not named is kept")
            #expect(body.keys.allSatisfy { !$0.hasPrefix("OS-EXT-") && !$0.hasPrefix("OS-SRV-USG") }, "\(body.keys.sorted())")
            #expect(body["security_groups"] == nil && body["key_name"] == nil && body["config_drive"] == nil)

            for bad in [#"{"server": {"accessIPv4": "1.1.1"}}"#, #"{"server": {"accessIPv6": "1.1.1.1"}}"#, #"{"server": {"accessIPv4": 7}}"#] {
                #expect(try await admin.send(.put, "/compute/v2.1/servers/\(id)", json: bad).status == .badRequest, "\(bad)")
            }
            let refused = try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "x", "imageRef": "\#(iso)", "flavorRef": "1", "accessIPv4": "nonsense"}}"#)
            #expect(refused.status == .badRequest)
            let after = try #require(try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any])
            #expect(after["accessIPv4"] as? String == "4.3.2.1", "a refused update changes nothing")
        }
    }

    @Test("ips by network, the empty password, list limit, marker and the ip filter")
    func addressesAndListing() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            var ids: [String] = []
            for name in ["a", "b", "c"] { ids.append(try #require(try await Self.activeServer(admin, iso, name: name)["id"] as? String)) }

            let ips = try await admin.send(.get, "/compute/v2.1/servers/\(ids[0])/ips")
            let addresses = try #require(try ips.object()["addresses"] as? [String: [[String: Any]]])
            let entry = try #require(addresses["private"]?.first)
            #expect(entry["version"] as? Int == 4 && (entry["addr"] as? String)?.hasPrefix("10.0.0.") == true && entry.count == 2)
            let byNetwork = try await admin.send(.get, "/compute/v2.1/servers/\(ids[0])/ips/private")
            #expect((try byNetwork.object()["private"] as? [[String: Any]])?.count == 1)
            #expect(try await admin.send(.get, "/compute/v2.1/servers/\(ids[0])/ips/public").status == .notFound)
            #expect(try await admin.send(.get, "/compute/v2.1/servers/\(ids[0])/os-server-password").object()["password"] as? String == "")
            #expect(try await admin.send(.delete, "/compute/v2.1/servers/\(ids[0])/os-server-password").status == .noContent)

            func listed(_ query: String) async throws -> (ids: [String], next: Bool) {
                let response = try await admin.send(.get, "/compute/v2.1/servers\(query)")
                try #require(response.status == .ok, "\(query): \(response.text)")
                let object = try response.object()
                return ((object["servers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, object["servers_links"] != nil)
            }
            let all = try await listed("")
            #expect(Set(all.ids) == Set(ids))
            let first = try await listed("?limit=2")
            #expect(first.ids == Array(all.ids.prefix(2)) && first.next)
            let rest = try await listed("?limit=2&marker=\(first.ids[1])")
            #expect(rest.ids == [all.ids[2]] && !rest.next)
            #expect(try await listed("?limit=0").ids.isEmpty)
            // The next link keeps the request's filters and order, so following it gives the rest of that list.
            let sorted = try await admin.send(.get, "/compute/v2.1/servers?name=%5B%5Eb%5D&sort_key=display_name&sort_dir=asc&limit=1")
            let sortedObject = try sorted.object()
            #expect((sortedObject["servers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["a"])
            let next = try #require(((sortedObject["servers_links"] as? [[String: Any]])?.first?["href"] as? String))
            #expect(next.contains("name=%5B%5Eb%5D") && next.contains("sort_key=display_name") && next.contains("limit=1"))
            let path = try #require(next.range(of: "/compute/v2.1/")).lowerBound
            let followed = try await admin.send(.get, String(next[path...]))
            #expect((try followed.object()["servers"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["c"])
            for bad in ["?limit=-1", "?limit=x", "?marker=nonsense"] {
                #expect(try await admin.send(.get, "/compute/v2.1/servers\(bad)").status == .badRequest, "\(bad)")
            }
            let address = try #require(entry["addr"] as? String)
            #expect(try await listed("?ip=" + address.replacingOccurrences(of: ".", with: "%5C.") + "$").ids == [ids[0]])
        }
    }

    @Test("one availability zone for everyone; hypervisors for admins only")
    func hosts() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let zones = try await bob.send(.get, "/compute/v2.1/os-availability-zone")
            let zone = try #require((try zones.object()["availabilityZoneInfo"] as? [[String: Any]])?.first)
            #expect(zone["zoneName"] as? String == "nova" && (zone["zoneState"] as? [String: Any])?["available"] as? Bool == true)
            #expect(try await bob.send(.get, "/compute/v2.1/os-availability-zone/detail").status == .forbidden)
            #expect(try await bob.send(.get, "/compute/v2.1/os-hypervisors").status == .forbidden)
            let hypervisors = try await admin.send(.get, "/compute/v2.1/os-hypervisors/detail")
            let hypervisor = try #require((try hypervisors.object()["hypervisors"] as? [[String: Any]])?.first)
            #expect(hypervisor["hypervisor_hostname"] as? String == "nimbus")
            #expect((hypervisor["vcpus"] as? Int ?? 0) >= 1 && (hypervisor["memory_mb"] as? Int ?? 0) > 0)
            #expect(try await admin.send(.get, "/compute/v2.1/os-hypervisors/2").status == .notFound)
        }
    }

    @Test("rebuild: a new image and name on the same server; a stopped server stays stopped; a rescued one is a 409")
    func rebuild() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let other = try await admin.activeImage(#"{"name": "other", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await Self.activeServer(admin, iso, name: "web")["id"] as? String)
            func action(_ body: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/servers/\(id)/action", json: body)
            }
            func shown() async throws -> [String: Any] {
                try #require(try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any])
            }
            func wait(for status: String) async throws -> [String: Any] {
                for _ in 0..<200 {
                    let server = try await shown()
                    if server["status"] as? String == status { return server }
                    try await Task.sleep(for: .milliseconds(20))
                }
                Issue.record("server did not reach \(status)")
                return try await shown()
            }
            let rebuilt = try await action(#"{"rebuild": {"imageRef": "\#(other)", "name": "web-2", "adminPass": "secret-1", "metadata": {"role": "db"}}}"#)
            #expect(rebuilt.status == .accepted, "\(rebuilt.text)")
            let answer = try #require(try rebuilt.object()["server"] as? [String: Any])
            #expect(answer["adminPass"] as? String == "secret-1" && answer["name"] as? String == "web-2")
            #expect((answer["image"] as? [String: Any])?["id"] as? String == other)
            #expect(answer["OS-EXT-STS:vm_state"] == nil && answer["security_groups"] == nil, "2.1's core view, as Nova answers a rebuild")
            let active = try await wait(for: "ACTIVE")
            #expect((active["image"] as? [String: Any])?["id"] as? String == other && active["metadata"] as? [String: String] == ["role": "db"])
            let media = try await admin.send(.get, "/compute/v2.1/servers/\(id)/nimbus-media")
            #expect(((try media.object()["media"] as? [[String: Any]])?.first?["image"] as? [String: Any])?["id"] as? String == other,
                    "the installer's drive holds the new ISO")

            #expect(try await action(#"{"os-stop": null}"#).status == .accepted)
            _ = try await wait(for: "SHUTOFF")
            #expect(try await action(#"{"rebuild": {"imageRef": "\#(iso)"}}"#).status == .accepted)
            let stopped = try await wait(for: "SHUTOFF")
            #expect((stopped["image"] as? [String: Any])?["id"] as? String == iso && stopped["OS-EXT-STS:task_state"] is NSNull)
            #expect(stopped["progress"] == nil && active["progress"] as? Int == 0, "Nova shows progress only for servers that run or are readied")

            #expect(try await action(#"{"rebuild": {"imageRef": "00000000-0000-4000-8000-000000000000"}}"#).status == .badRequest)
            #expect(try await action(#"{"rebuild": {"name": "x"}}"#).status == .badRequest)
            #expect(try await action(#"{"os-start": null}"#).status == .accepted)
            _ = try await wait(for: "ACTIVE")
            #expect(try await action(#"{"rescue": null}"#).status == .ok)
            _ = try await wait(for: "RESCUE")
            #expect(try await action(#"{"rebuild": {"imageRef": "\#(iso)"}}"#).status == .conflict)
            let missing = "/compute/v2.1/servers/00000000-0000-4000-8000-000000000000/action"
            #expect(try await admin.send(.post, missing, json: #"{"rebuild": {"imageRef": "\#(iso)"}}"#).status == .notFound)
            #expect(try await admin.send(.post, missing, json: #"{"forceDelete": null}"#).status == .notFound)
        }
    }

    @Test("every compute answer names its request; a server's actions are listed by it, newest first")
    func instanceActions() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let created = try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "web", "imageRef": "\#(iso)", "flavorRef": "1"}}"#)
            let requestID = try #require(created.headers[HTTPField.Name("X-Compute-Request-Id")!])
            #expect(requestID.hasPrefix("req-") && created.headers[HTTPField.Name("X-Openstack-Request-Id")!] == requestID)
            let id = try #require((try created.object()["server"] as? [String: Any])?["id"] as? String)
            #expect(try await admin.send(.get, "/compute/v2.1/servers/nonsense").headers[HTTPField.Name("X-Compute-Request-Id")!] != nil,
                    "an error answer names its request too")
            for _ in 0..<200 {
                let server = try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any]
                if server?["status"] as? String == "ACTIVE" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await admin.send(.post, "/compute/v2.1/servers/\(id)/action", json: #"{"reboot": {"type": "HARD"}}"#).status == .accepted)
            let listed = try await admin.send(.get, "/compute/v2.1/servers/\(id)/os-instance-actions")
            let actions = try #require(try listed.object()["instanceActions"] as? [[String: Any]])
            #expect(actions.compactMap { $0["action"] as? String } == ["reboot", "create"])
            let shown = try #require(try await admin.send(.get, "/compute/v2.1/servers/\(id)/os-instance-actions/\(requestID)").object()["instanceAction"] as? [String: Any])
            #expect(shown["action"] as? String == "create" && shown["instance_uuid"] as? String == id && shown["message"] is NSNull)
            #expect(try await admin.send(.get, "/compute/v2.1/servers/\(id)/os-instance-actions/req-unknown").status == .notFound)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            #expect(try await bob.send(.get, "/compute/v2.1/servers/\(id)/os-instance-actions").status == .notFound)
        }
    }

    @Test("createBackup keeps the newest `rotation` backups of a type; each is a snapshot marked as a backup")
    func backups() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await Self.activeServer(admin, iso, name: "db")["id"] as? String)
            func backup(_ name: String, rotation: Int = 2) async throws -> String {
                let response = try await admin.send(.post, "/compute/v2.1/servers/\(id)/action",
                                                    json: #"{"createBackup": {"name": "\#(name)", "backup_type": "daily", "rotation": \#(rotation)}}"#)
                try #require(response.status == .accepted, "\(response.text)")
                let image = try #require(response.headers[.location]?.split(separator: "/").last.map(String.init))
                for _ in 0..<200 {
                    let shown = try await admin.send(.get, "/image/v2/images/\(image)")
                    if (try? shown.object()["status"] as? String) == "active" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                for _ in 0..<200 {
                    let server = try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any]
                    if server?["OS-EXT-STS:task_state"] is NSNull { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return image
            }
            let first = try await backup("b1")
            let shown = try await admin.show(first)
            #expect(shown["image_type"] as? String == "backup" && shown["backup_type"] as? String == "daily" && shown["instance_uuid"] as? String == id)
            let second = try await backup("b2")
            let third = try await backup("b3")
            #expect(try await admin.send(.get, "/image/v2/images/\(first)").status == .notFound, "the oldest backup is rotated out")
            #expect(try await admin.send(.get, "/image/v2/images/\(second)").status == .ok)
            #expect(try await admin.send(.get, "/image/v2/images/\(third)").status == .ok)
            let refused = try await admin.send(.post, "/compute/v2.1/servers/\(id)/action", json: #"{"createBackup": {"name": "x", "backup_type": "daily", "rotation": -1}}"#)
            #expect(refused.status == .badRequest)
        }
    }

    @Test("Nova's network proxies of 2.1: a floating IP and a security group made through the compute API are Neutron's")
    func networkProxies() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await Self.activeServer(admin, iso, name: "web")["id"] as? String)
            let made = try await admin.send(.post, "/compute/v2.1/os-floating-ips", json: #"{"pool": "public"}"#)
            #expect(made.status == .ok, "\(made.text)")
            let floating = try #require(try made.object()["floating_ip"] as? [String: Any])
            let address = try #require(floating["ip"] as? String)
            #expect(floating["pool"] as? String == "public" && floating["instance_id"] is NSNull)
            #expect(try await admin.send(.post, "/compute/v2.1/os-floating-ips", json: #"{"pool": "nowhere"}"#).status == .notFound)
            let unnamed = try await admin.send(.post, "/compute/v2.1/os-floating-ips")
            #expect(unnamed.status == .ok, "\(unnamed.text)")
            #expect(try (unnamed.object()["floating_ip"] as? [String: Any])?["pool"] as? String == "public", "no body: the default pool")
            #expect(try await admin.send(.post, "/compute/v2.1/os-floating-ips", json: "{").status == .badRequest, "a malformed body is refused")

            func action(_ body: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/servers/\(id)/action", json: body)
            }
            #expect(try await action(#"{"addFloatingIp": {"address": "\#(address)"}}"#).status == .accepted)
            let shown = try #require(try await admin.send(.get, "/compute/v2.1/os-floating-ips/\(floating["id"] as? String ?? "")").object()["floating_ip"] as? [String: Any])
            #expect(shown["instance_id"] as? String == id && (shown["fixed_ip"] as? String)?.hasPrefix("10.0.0.") == true)
            let neutron = try await admin.send(.get, "/network/v2.0/floatingips?floating_ip_address=\(address)").object()
            #expect(((neutron["floatingips"] as? [[String: Any]])?.first?["port_id"] as? String) != nil, "the same floating IP in Neutron")
            #expect(try await action(#"{"removeFloatingIp": {"address": "\#(address)"}}"#).status == .accepted)
            #expect(try await action(#"{"removeFloatingIp": {"address": "\#(address)"}}"#).status == .conflict, "not associated any more")
            #expect(try await action(#"{"addFloatingIp": {"address": "127.10.0.250"}}"#).status == .notFound)
            #expect(try await admin.send(.delete, "/compute/v2.1/os-floating-ips/\(floating["id"] as? String ?? "")").status == .accepted)

            let group = try await admin.send(.post, "/compute/v2.1/os-security-groups", json: #"{"security_group": {"name": "web", "description": "web"}}"#)
            #expect(group.status == .ok, "\(group.text)")
            let groupID = try #require((try group.object()["security_group"] as? [String: Any])?["id"] as? String)
            #expect(try await action(#"{"addSecurityGroup": {"name": "web"}}"#).status == .accepted)
            let names = try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any]
            #expect((names?["security_groups"] as? [[String: Any]])?.contains { $0["name"] as? String == "web" } == true)
            #expect(try await action(#"{"removeSecurityGroup": {"name": "web"}}"#).status == .accepted)
            #expect(try await admin.send(.delete, "/compute/v2.1/os-security-groups/\(groupID)").status == .accepted)
            #expect(try await admin.send(.get, "/network/v2.0/security-groups/\(groupID)").status == .notFound)
        }
    }
}
