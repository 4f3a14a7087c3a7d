import Compute
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Networking
import NimbusCore

/// The project's other pages: an overview of quotas and usage, key pairs,
/// networks, floating IPs and security groups, and flavors.
extension Dashboard {
    func addProjectPages<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("overview") { request, _ in
            await page(request) { visitor in
                let project = try Policy.requireProjectReader(visitor.auth).rawValue
                var rows: [[String: Any]] = []
                for quotas in [compute.quotas, networks.quotas] {
                    let limits = try quotas.limits(of: project, visitor.auth)
                    let usage = try quotas.usage(of: project, visitor.auth)
                    for resource in quotas.resources {
                        let limit = limits[resource.name] ?? resource.defaultLimit
                        rows.append([
                            "resource": resource.name, "used": usage[resource.name] ?? 0,
                            "limit": limit < 0 ? "unlimited" : "\(limit)",
                        ])
                    }
                }
                return render("overview", ["title": "Overview", "quotas": rows], visitor)
            }
        }

        // Key pairs: a new key's private half is a download, once; or import a public key.
        group.get("keypairs") { request, _ in
            await page(request) { visitor in
                let keys = try compute.keypairs(visitor.auth).sorted { $0.name < $1.name }
                return render("keypairs", [
                    "title": "Key pairs", "empty": keys.isEmpty,
                    "keypairs": keys.map { ["name": $0.name, "fingerprint": $0.fingerprint] },
                ], visitor)
            }
        }
        group.post("keypairs") { request, context in
            guard let visitor = visitor(request) else { return redirect("/dashboard/login") }
            let form: FormFields
            do { form = try await FormFields.read(request, context: context) } catch { return redirect("/dashboard/keypairs") }
            guard checkCSRF(request, form: form, visitor) else { return forbidden(visitor) }
            do {
                let name = try form.required("name", label: "A name")
                let created = try compute.createKeypair(name: name, publicKey: form.optional("public_key"), kind: nil, visitor.auth)
                guard let privateKey = created.privateKey else {
                    sessions.update(visitor.sessionID) { $0.notice = .init(text: "Imported key pair \(name).", isError: false) }
                    return redirect("/dashboard/keypairs")
                }
                // The private key exists only in this answer: the browser saves it as NAME.pem.
                let file = name.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
                return Response(status: .ok, headers: [
                    .contentType: "application/x-pem-file", .contentDisposition: "attachment; filename=\"\(file.isEmpty ? "key" : file).pem\"",
                    .cacheControl: "no-store",
                ], body: .init(byteBuffer: ByteBuffer(string: privateKey)))
            } catch {
                sessions.update(visitor.sessionID) { $0.notice = .init(text: NimbusError.wrap(error).message, isError: true) }
                return redirect("/dashboard/keypairs")
            }
        }
        group.post("keypairs/delete") { request, context in
            await action(request, context, fallback: "/dashboard/keypairs") { visitor, form in
                let name = try form.required("name", label: "A key pair")
                try compute.deleteKeypair(name, visitor.auth)
                return ("Deleted key pair \(name).", "/dashboard/keypairs")
            }
        }

        // Networks, floating IPs and security groups.
        group.get("network") { request, _ in
            await page(request) { visitor in try render("network", networkPage(visitor), visitor) }
        }
        group.post("network/{what}") { request, context in
            let what = (try? context.parameters.require("what")) ?? ""
            return await action(request, context, fallback: "/dashboard/network") { visitor, form in
                try networkAction(what, form, visitor)
            }
        }

        // Flavors: everyone lists; admins create and delete.
        group.get("flavors") { request, _ in
            await page(request) { visitor in
                let flavors = try flavors.list(.init(), visitor.auth).sorted { ($0.ram, $0.name) < ($1.ram, $1.name) }
                return render("flavors", [
                    "title": "Flavors",
                    "flavors": flavors.map { ["id": $0.id.rawValue, "name": $0.name, "vcpus": $0.vcpus, "ram": $0.ram, "disk": $0.disk, "public": $0.isPublic] },
                ], visitor)
            }
        }
        group.post("flavors") { request, context in
            await action(request, context, fallback: "/dashboard/flavors") { visitor, form in
                func number(_ name: String, _ label: String) throws -> Int {
                    guard let value = Int(try form.required(name, label: label)), value >= 0 else { throw NimbusError.badRequest("\(label) must be a whole number.") }
                    return value
                }
                let flavor = try flavors.create(.init(
                    id: nil, name: try form.required("name", label: "A name"), vcpus: try number("vcpus", "vCPUs"), ram: try number("ram", "RAM (MiB)"),
                    disk: try number("disk", "Disk (GiB)")), visitor.auth)
                return ("Created flavor \(flavor.name).", "/dashboard/flavors")
            }
        }
        group.post("flavors/delete") { request, context in
            await action(request, context, fallback: "/dashboard/flavors") { visitor, form in
                let id = try form.required("id", label: "A flavor")
                try flavors.delete(id, visitor.auth)
                return ("Deleted the flavor.", "/dashboard/flavors")
            }
        }
    }

    func networkPage(_ visitor: Visitor) throws -> [String: Any] {
        let networkList = try networks.networks(.init(), visitor.auth).sorted { $0.name < $1.name }
        let subnets = try networks.subnets(.init(), visitor.auth)
        let floating = try networks.floatingIPs(.init(), visitor.auth)
        let groups = try networks.securityGroups(.init(), visitor.auth).sorted { $0.name < $1.name }
        let rules = try networks.rules(ofGroups: groups.map(\.id))
        let servers = try compute.servers(.init(), visitor.auth).servers
        var serverOfPort: [String: String] = [:]
        let devices = try networks.devices(servers.map { ($0.id.rawValue, $0.projectId) })
        for server in servers {
            for port in devices.ports[server.id.rawValue] ?? [] { serverOfPort[port.id.rawValue] = server.name }
        }
        return [
            "title": "Networks and access",
            "networks": networkList.map { network in
                [
                    "id": network.id.rawValue, "name": network.name, "external": network.external, "shared": network.shared,
                    "mine": network.projectId == visitor.auth.projectId,
                    "subnets": subnets.filter { $0.networkId == network.id }.map(\.cidr).joined(separator: ", "),
                ] as [String: Any]
            },
            "floating": floating.map { address in
                [
                    "id": address.id.rawValue, "address": address.floatingIpAddress,
                    "server": address.portId.flatMap { serverOfPort[$0.rawValue] } ?? "", "free": address.portId == nil,
                ] as [String: Any]
            },
            "servers": servers.map { ["id": $0.id.rawValue, "name": $0.name] },
            "groups": groups.map { group in
                [
                    "id": group.id.rawValue, "name": group.name, "isDefault": group.isDefault,
                    "rules": rules.filter { $0.securityGroupId == group.id }.map { rule in
                        ["id": rule.id.rawValue, "summary": Self.ruleSummary(rule)]
                    },
                ] as [String: Any]
            },
        ]
    }

    static func ruleSummary(_ rule: SecurityGroupRule) -> String {
        let ports: String
        switch (rule.portRangeMin, rule.portRangeMax) {
        case (nil, _): ports = "any port"
        case (let low?, let high?) where low == high: ports = "port \(low)"
        case (let low?, let high): ports = "ports \(low)–\(high ?? 65535)"
        }
        let source = rule.remoteIpPrefix ?? (rule.remoteGroupId != nil ? "the group's members" : "anywhere")
        return "\(rule.direction == .ingress ? "In" : "Out"): \(rule.ethertype) \(rule.protocol ?? "any protocol") \(ports), \(rule.direction == .ingress ? "from" : "to") \(source)"
    }

    /// One form of the networks page.
    func networkAction(_ what: String, _ form: FormFields, _ visitor: Visitor) throws -> (notice: String, next: String) {
        let here = "/dashboard/network"
        switch what {
        case "create-network":
            var draft = NetworkService.NetworkDraft()
            draft.name = try form.required("name", label: "A name")
            let network = try networks.createNetwork(draft, visitor.auth)
            let subnet = NetworkService.SubnetDraft(networkId: network.id.rawValue, cidr: try form.required("cidr", label: "An address range (CIDR)"))
            do { _ = try networks.createSubnet(subnet, visitor.auth) } catch {
                // A network without its subnet is of no use: it goes again, or the log says it stayed.
                do { try networks.deleteNetwork(network.id.rawValue, visitor.auth) } catch let cleanup {
                    logger.error("a network whose subnet failed was not removed", metadata: ["network.id": "\(network.id)", "error": "\(cleanup)"])
                }
                throw error
            }
            return ("Created network \(network.name).", here)
        case "delete-network":
            try networks.deleteNetwork(try form.required("id", label: "A network"), visitor.auth)
            return ("Deleted the network.", here)
        case "allocate":
            guard let external = try networks.networks(.init(), visitor.auth).first(where: \.external) else {
                throw NimbusError.conflict("There is no external network to take a floating IP from.")
            }
            let address = try networks.createFloatingIP(.init(floatingNetworkId: external.id.rawValue), visitor.auth)
            return ("Allocated \(address.floatingIpAddress).", here)
        case "associate":
            let server = try compute.server(try form.required("server", label: "An instance"), visitor.auth)
            guard let port = try networks.ports(deviceID: server.id.rawValue, project: server.projectId).first else {
                throw NimbusError.conflict("Instance \(server.name) has no network port.")
            }
            var changes = NetworkService.FloatingIPChanges()
            changes.association = .some((portId: port.id.rawValue, fixedIpAddress: nil))
            let address = try networks.updateFloatingIP(try form.required("id", label: "A floating IP"), changes, visitor.auth)
            return ("\(address.floatingIpAddress) now reaches \(server.name).", here)
        case "disassociate":
            var changes = NetworkService.FloatingIPChanges()
            changes.association = .some(nil)
            let address = try networks.updateFloatingIP(try form.required("id", label: "A floating IP"), changes, visitor.auth)
            return ("\(address.floatingIpAddress) reaches nothing now.", here)
        case "release":
            try networks.deleteFloatingIP(try form.required("id", label: "A floating IP"), visitor.auth)
            return ("Released the floating IP.", here)
        case "create-group":
            var draft = NetworkService.SecurityGroupDraft()
            draft.name = try form.required("name", label: "A name")
            let group = try networks.createSecurityGroup(draft, visitor.auth)
            return ("Created security group \(group.name).", here)
        case "delete-group":
            try networks.deleteSecurityGroup(try form.required("id", label: "A security group"), visitor.auth)
            return ("Deleted the security group.", here)
        case "add-rule":
            var rule = NetworkService.SecurityGroupRuleDraft(securityGroupId: try form.required("group", label: "A security group"), direction: "ingress")
            let proto = form.optional("protocol") ?? "tcp"
            rule.protocol = proto == "any" ? nil : proto
            if let port = form.optional("port") {
                guard let number = Int(port), (1...65535).contains(number) else { throw NimbusError.badRequest("The port must be a number from 1 to 65535.") }
                rule.portRangeMin = number
                rule.portRangeMax = number
            }
            rule.remoteIpPrefix = form.optional("cidr") ?? "0.0.0.0/0"
            _ = try networks.createSecurityGroupRule(rule, visitor.auth)
            return ("Added the rule.", here)
        case "delete-rule":
            try networks.deleteSecurityGroupRule(try form.required("id", label: "A rule"), visitor.auth)
            return ("Deleted the rule.", here)
        default:
            throw NimbusError.badRequest("\(what) is not a network action.")
        }
    }
}

extension HTTPField.Name {
    static let contentDisposition = Self("Content-Disposition")!
}
