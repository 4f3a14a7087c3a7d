import Hummingbird
import Identity
import NimbusCore

/// Quotas as Nova (`/os-quota-sets`) and Neutron (`/quotas`) serve them.
enum QuotaRoutes {
    /// The quota keys a microversion no longer shows or takes: the network
    /// ones from 2.36 (Neutron has them), the file injection ones from 2.57.
    static func retired(at version: ComputeMicroversion) -> Set<String> {
        var keys: Set<String> = []
        if version.atLeast(36) { keys.formUnion(["fixed_ips", "floating_ips", "security_groups", "security_group_rules"]) }
        if version.atLeast(57) { keys.formUnion(["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"]) }
        return keys
    }

    static func addNova(_ quotas: ProjectQuotas, to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-quota-sets/{project}") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            let project = try context.parameters.require("project")
            let retired = retired(at: context.microversion)
            var body = try quotas.limits(of: project, context.auth).filter { !retired.contains($0.key) }.mapValues { JSONValue($0) }
            body["id"] = .string(project)
            return try JSONMessages.response(["quota_set": .object(body)] as [String: JSONValue])
        }
        v21.get("os-quota-sets/{project}/detail") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            let project = try context.parameters.require("project")
            let retired = retired(at: context.microversion)
            let limits = try quotas.limits(of: project, context.auth).filter { !retired.contains($0.key) }
            let usage = try quotas.usage(of: project, context.auth)
            var body: [String: JSONValue] = limits.mapValues { _ in .null }
            for (resource, limit) in limits {
                body[resource] = ["limit": .number(Double(limit)), "in_use": .number(Double(usage[resource] ?? 0)), "reserved": 0]
            }
            body["id"] = .string(project)
            return try JSONMessages.response(["quota_set": .object(body)] as [String: JSONValue])
        }
        v21.get("os-quota-sets/{project}/defaults") { _, context in
            _ = try Policy.requireProjectReader(context.auth)
            let retired = retired(at: context.microversion)
            var body = quotas.defaults.filter { !retired.contains($0.key) }.mapValues { JSONValue($0) }
            body["id"] = .string(try context.parameters.require("project"))
            return try JSONMessages.response(["quota_set": .object(body)] as [String: JSONValue])
        }
        v21.put("os-quota-sets/{project}") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(var values)? = body["quota_set"] else {
                throw NimbusError.badRequest("Invalid input for field/attribute quota_set: 'quota_set' is a required property.")
            }
            let retired = retired(at: context.microversion)
            if let key = values.keys.sorted().first(where: retired.contains) {
                throw NimbusError.badRequest("Invalid input for field/attribute quota_set. Additional properties are not allowed ('\(key)' was unexpected)")
            }
            let force = values.removeValue(forKey: "force").map(flag) ?? false
            let limits = try quotas.set(try integers(values), of: try context.parameters.require("project"), force: force, context.auth)
            return try JSONMessages.response(["quota_set": .object(limits.filter { !retired.contains($0.key) }.mapValues { JSONValue($0) })] as [String: JSONValue])
        }
        v21.delete("os-quota-sets/{project}") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            try quotas.reset(try context.parameters.require("project"), context.auth)
            return Response(status: .accepted)
        }
    }

    static func addNeutron(_ quotas: ProjectQuotas, to v2: RouterGroup<AuthenticatedContext>) {
        v2.get("quotas") { _, context in
            let all = try quotas.customized(context.auth).map { entry -> JSONValue in
                var body = entry.limits.mapValues { JSONValue($0) }
                body["project_id"] = .string(entry.project.rawValue)
                body["tenant_id"] = .string(entry.project.rawValue)
                return .object(body)
            }
            return try JSONMessages.response(["quotas": .array(all)] as [String: JSONValue])
        }
        v2.get("quotas/{project}") { _, context in
            let limits = try quotas.limits(of: try context.parameters.require("project"), context.auth)
            return try JSONMessages.response(["quota": .object(limits.mapValues { JSONValue($0) })] as [String: JSONValue])
        }
        v2.get("quotas/{project}/default") { _, context in
            _ = try Policy.requireProjectReader(context.auth)
            return try JSONMessages.response(["quota": .object(quotas.defaults.mapValues { JSONValue($0) })] as [String: JSONValue])
        }
        v2.get("quotas/{project}/details") { _, context in
            let project = try context.parameters.require("project")
            let limits = try quotas.limits(of: project, context.auth)
            let usage = try quotas.usage(of: project, context.auth)
            var body: [String: JSONValue] = [:]
            for (resource, limit) in limits {
                body[resource] = ["limit": .number(Double(limit)), "used": .number(Double(usage[resource] ?? 0)), "reserved": 0]
            }
            return try JSONMessages.response(["quota": .object(body)] as [String: JSONValue])
        }
        v2.put("quotas/{project}") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(var values)? = body["quota"] else {
                throw NimbusError.badRequest("Unable to find 'quota' in request body")
            }
            // Neutron checks against usage only when asked (check_limit), and
            // the client asks unless given --force.
            let checkLimit = values.removeValue(forKey: "check_limit").map(flag) ?? false
            let force = values.removeValue(forKey: "force").map(flag) ?? false
            let limits = try quotas.set(
                try integers(values), of: try context.parameters.require("project"), force: force || !checkLimit, context.auth)
            return try JSONMessages.response(["quota": .object(limits.mapValues { JSONValue($0) })] as [String: JSONValue])
        }
        v2.delete("quotas/{project}") { _, context in
            try quotas.reset(try context.parameters.require("project"), context.auth)
            return Response(status: .noContent)
        }
    }

    /// Limits are integers, or strings of them as older clients send.
    static func integers(_ values: [String: JSONValue]) throws -> [String: Int] {
        try values.mapValues { value in
            guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
                throw NimbusError.badRequest("Invalid input for field/attribute quota_set. Value: \(value). It must be an integer.")
            }
            return number
        }
    }

    static func flag(_ value: JSONValue) -> Bool {
        value.boolValue ?? value.stringValue.map { ["true", "1", "yes", "t", "on"].contains($0.lowercased()) } ?? false
    }
}
