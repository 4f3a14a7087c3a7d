import Compute
import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// Where servers run, as Nova describes it: one availability zone (`nova`)
/// and one hypervisor (this host, `nimbus`), what `OS-EXT-AZ` and
/// `OS-EXT-SRV-ATTR` on a server already name.
struct ComputeHostRoutes {
    let compute: ComputeService
    static let zone = "nova"
    static let host = "nimbus"

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-availability-zone") { _, context in
            _ = try Policy.requireProjectReader(context.auth)
            return try JSONMessages.response(["availabilityZoneInfo": [["zoneName": .string(Self.zone), "zoneState": ["available": true], "hosts": .null]]] as [String: JSONValue])
        }
        v21.get("os-availability-zone/detail") { _, context in
            try requireAdmin("os_compute_api:os-availability-zone:detail", context.auth)
            let service: JSONValue = ["nova-compute": ["available": true, "active": true, "updated_at": .string(Timestamps.iso8601(Date()))]]
            return try JSONMessages.response(["availabilityZoneInfo": [
                ["zoneName": .string(Self.zone), "zoneState": ["available": true], "hosts": [Self.host: service]],
            ]] as [String: JSONValue])
        }
        v21.get("os-hypervisors") { _, context in
            try requireAdmin("os_compute_api:os-hypervisors:list", context.auth)
            return try JSONMessages.response(["hypervisors": [.object(summary)]] as [String: JSONValue])
        }
        v21.get("os-hypervisors/detail") { _, context in
            try requireAdmin("os_compute_api:os-hypervisors:list-detail", context.auth)
            return try JSONMessages.response(["hypervisors": [.object(try detail(context.auth))]] as [String: JSONValue])
        }
        v21.get("os-hypervisors/{id}") { _, context in
            try requireAdmin("os_compute_api:os-hypervisors:show", context.auth)
            let id = try context.parameters.require("id")
            guard id == "1" else { throw NimbusError.notFound("Hypervisor with ID \(id) could not be found.") }
            return try JSONMessages.response(["hypervisor": .object(try detail(context.auth))] as [String: JSONValue])
        }
    }

    var summary: [String: JSONValue] {
        ["id": 1, "hypervisor_hostname": .string(Self.host), "state": "up", "status": "enabled"]
    }

    /// The host's own figures: its cores and memory, and the servers running on it.
    func detail(_ auth: AuthContext) throws -> [String: JSONValue] {
        var query = ComputeService.ListQuery()
        query.allTenants = true
        let servers = try compute.servers(query, auth)
        var body = summary
        body["hypervisor_type"] = "QEMU"
        body["hypervisor_version"] = 7_002_000
        body["host_ip"] = "127.0.0.1"
        body["vcpus"] = JSONValue(ProcessInfo.processInfo.activeProcessorCount)
        body["vcpus_used"] = JSONValue(servers.reduce(0) { $0 + $1.vcpus })
        body["memory_mb"] = JSONValue(Int(ProcessInfo.processInfo.physicalMemory / 1_048_576))
        body["memory_mb_used"] = JSONValue(servers.reduce(0) { $0 + $1.ram })
        body["running_vms"] = JSONValue(servers.filter { $0.status == "ACTIVE" }.count)
        body["service"] = ["host": .string(Self.host), "id": 1, "disabled_reason": .null]
        body["cpu_info"] = "{}"
        return body
    }

    func requireAdmin(_ rule: String, _ auth: AuthContext) throws {
        guard Policy.isAdmin(auth) else { throw NimbusError(.forbidden, "Policy doesn't allow \(rule) to be performed.") }
    }
}
