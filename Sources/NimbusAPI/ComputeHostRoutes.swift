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
    let baseURL: String
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
        v21.get("os-hypervisors") { request, context in
            try requireAdmin("os_compute_api:os-hypervisors:list", context.auth)
            return try hypervisorList(request, context, detail: false)
        }
        v21.get("os-hypervisors/detail") { request, context in
            try requireAdmin("os_compute_api:os-hypervisors:list-detail", context.auth)
            return try hypervisorList(request, context, detail: true)
        }
        v21.get("os-hypervisors/{id}") { request, context in
            try requireAdmin("os_compute_api:os-hypervisors:show", context.auth)
            let id = try context.parameters.require("id")
            let query = try hypervisorQuery(request, context, allowed: ["with_servers"])
            if context.microversion.atLeast(53) {
                guard UUID(uuidString: id) != nil else { throw NimbusError.badRequest("Invalid uuid \(id)") }
                guard id == Self.hypervisorID else { throw NimbusError.notFound("Hypervisor with ID \(id) could not be found.") }
            } else {
                guard id == "1" else { throw NimbusError.notFound("Hypervisor with ID \(id) could not be found.") }
            }
            return try JSONMessages.response(["hypervisor": .object(try detail(context, withServers: Self.flag(query["with_servers"])))] as [String: JSONValue])
        }
    }

    /// This host as a hypervisor: id 1 before 2.53, a UUID (stable, made
    /// from its name) from it; likewise its compute service.
    static let hypervisorID = stableUUID("nimbus-hypervisor")
    static let serviceID = stableUUID("nimbus-compute-service")

    static func stableUUID(_ seed: String) -> String {
        let high = StableHash.fnv1a(seed + "-high"), low = StableHash.fnv1a(seed + "-low")
        let hex = String(format: "%016llx%016llx", high, low)
        let chars = Array(hex)
        // Version 4's layout, so it parses as any UUID does.
        let parts = [String(chars[0..<8]), String(chars[8..<12]), "4" + String(chars[13..<16]), "8" + String(chars[17..<20]), String(chars[20..<32])]
        return parts.joined(separator: "-")
    }

    static func flag(_ value: String?) -> Bool {
        value.map { ["1", "true", "yes", "t", "on", "y"].contains($0.lowercased()) } ?? false
    }

    /// The query of a hypervisor request: from 2.53 a name it does not know is a 400.
    func hypervisorQuery(_ request: Request, _ context: AuthenticatedContext, allowed: Set<String>) throws -> [String: String] {
        let query = QueryParameters.first(request)
        if context.microversion.atLeast(53), let unknown = query.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw NimbusError.badRequest("Invalid input for query parameters \(unknown). Additional properties are not allowed ('\(unknown)' was unexpected)")
        }
        return query
    }

    /// The one hypervisor, paged (2.33) and filtered by name (2.53) as Nova's list is.
    func hypervisorList(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        let version = context.microversion
        var allowed: Set<String> = []
        if version.atLeast(33) { allowed.formUnion(["limit", "marker"]) }
        if version.atLeast(53) { allowed.formUnion(["with_servers", "hypervisor_hostname_pattern"]) }
        let query = try hypervisorQuery(request, context, allowed: allowed)
        var shown = true
        if version.atLeast(53), let pattern = query["hypervisor_hostname_pattern"] {
            if query["limit"] != nil || query["marker"] != nil {
                throw NimbusError.badRequest("Paging over hypervisors with 'hypervisor_hostname_pattern' is not supported.")
            }
            guard Self.host.contains(pattern) else { throw NimbusError.notFound("No hypervisor matching '\(pattern)' could be found.") }
        }
        var links: JSONValue?
        if version.atLeast(33) {
            if let marker = query["marker"] {
                guard marker == (version.atLeast(53) ? Self.hypervisorID : "1") else { throw NimbusError.badRequest("marker [\(marker)] not found") }
                shown = false
            }
            if let text = query["limit"] {
                guard let limit = Int(text), limit >= 0 else {
                    throw NimbusError.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
                }
                if limit == 0 { shown = false }
                if limit == 1, shown {
                    let marker = version.atLeast(53) ? Self.hypervisorID : "1"
                    links = [["rel": "next", "href": .string("\(baseURL)/compute/v2.1/os-hypervisors\(detail ? "/detail" : "")?limit=1&marker=\(marker)")]]
                }
            }
        }
        let withServers = version.atLeast(53) && Self.flag(query["with_servers"])
        let entry = detail ? try self.detail(context, withServers: withServers) : try summary(context, withServers: withServers)
        var body: [String: JSONValue] = ["hypervisors": .array(shown ? [.object(entry)] : [])]
        if let links { body["hypervisors_links"] = links }
        return try JSONMessages.response(body)
    }

    func summary(_ context: AuthenticatedContext, withServers: Bool) throws -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "id": context.microversion.atLeast(53) ? .string(Self.hypervisorID) : 1, "hypervisor_hostname": .string(Self.host),
            "state": "up", "status": "enabled",
        ]
        if withServers {
            let servers = try runningHere(context)
            // Before 2.75 a host without servers leaves the key out.
            if !servers.isEmpty || context.microversion.atLeast(75) {
                body["servers"] = .array(servers.map { ["name": .string("instance-\($0.id)"), "uuid": .string($0.id.rawValue)] })
            }
        }
        return body
    }

    func runningHere(_ context: AuthenticatedContext) throws -> [Server] {
        try compute.everyServer(context.auth)
    }

    /// The host's own figures: its cores and memory, and the servers running on it.
    func detail(_ context: AuthenticatedContext, withServers: Bool = false) throws -> [String: JSONValue] {
        let servers = try runningHere(context)
        var body = try summary(context, withServers: withServers)
        body["hypervisor_type"] = "QEMU"
        body["hypervisor_version"] = 7_002_000
        body["host_ip"] = "127.0.0.1"
        body["vcpus"] = JSONValue(ProcessInfo.processInfo.activeProcessorCount)
        body["vcpus_used"] = JSONValue(servers.reduce(0) { $0 + $1.vcpus })
        body["memory_mb"] = JSONValue(Int(ProcessInfo.processInfo.physicalMemory / 1_048_576))
        body["memory_mb_used"] = JSONValue(servers.reduce(0) { $0 + $1.ram })
        body["running_vms"] = JSONValue(servers.filter { $0.status == "ACTIVE" }.count)
        let serviceID: JSONValue = context.microversion.atLeast(53) ? .string(Self.serviceID) : 1
        body["service"] = ["host": .string(Self.host), "id": serviceID, "disabled_reason": .null]
        // A JSON text before 2.28, an object from it.
        body["cpu_info"] = context.microversion.atLeast(28) ? [:] : "{}"
        return body
    }

    func requireAdmin(_ rule: String, _ auth: AuthContext) throws {
        guard Policy.isAdmin(auth) else { throw NimbusError(.forbidden, "Policy doesn't allow \(rule) to be performed.") }
    }
}
