import Foundation
import Identity
import NimbusCore
import NimbusStore

extension ComputeService {
    /// A server the caller may see: its project's, or any for admins. Others are 404.
    public func server(_ id: String, _ auth: AuthContext) throws -> Server {
        guard let serverID = ServerID.parse(id), let server = try store.server(id: serverID),
              Policy.isAdmin(auth) || (Policy.isReader(auth) && server.projectId == auth.projectId)
        else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return server
    }

    /// Nova's list: filters, order and page.
    public struct ListQuery: Sendable {
        /// Nova's `max_limit`: a page holds at most this many servers, asked or not.
        public static let maxLimit = 1000

        public var allTenants = false
        /// Regular expressions, as Nova's name, hostname and description filters are.
        public var name: String?
        public var hostname: String?
        public var description: String?
        public var status: String?
        public var imageId: String?
        public var flavorId: String?
        public var changesSince: Date?
        /// 2.26's tag filters.
        public var tags = TagFilter()
        /// 2.66's upper bound on updated_at, and 2.73's locked filter.
        public var changesBefore: Date?
        public var locked: Bool?
        public var reservationId: String?
        public var uuid: String?
        public var keyName: String?
        public var vmState: String?
        public var taskState: String?
        public var powerState: Int?
        public var launchIndex: Int?
        public var userId: String?
        /// Another project's servers: honoured for admins only.
        public var projectId: String?
        public var accessIpv4: String?
        public var accessIpv6: String?
        public var configDrive: Bool?
        /// A regular expression matched against the servers' fixed addresses.
        public var ip: String?
        /// A filter no server here can meet (ip6: servers have IPv4 addresses only).
        public var matchesNothing = false
        /// A Nova sort key (`display_name`, `created_at`, …) and direction.
        public var sortKey: String?
        public var ascending = false
        public var marker: String?
        public var limit = ListQuery.maxLimit
        public init() {}
    }

    /// Nova's sort keys that order servers by one of their columns. The
    /// others leave the default order: host, node and zone are the same for
    /// every server here, and Nimbus keeps no kernel, ramdisk, progress,
    /// disk config or locked_by to sort by (config_drive neither, as a
    /// sort key). `hostname` sorts by the name it is made from.
    static let sortColumns: [String: String] = [
        "created_at": "created_at", "updated_at": "updated_at", "launched_at": "launched_at", "display_name": "name",
        "hostname": "name", "display_description": "description", "uuid": "id", "key_name": "key_name",
        "project_id": "project_id", "user_id": "user_id", "vm_state": "vm_state", "task_state": "task_state",
        "power_state": "power_state", "launch_index": "launch_index", "image_ref": "image_id",
        "instance_type_id": "flavor_id", "access_ip_v4": "access_ipv4", "access_ip_v6": "access_ipv6", "locked": "locked",
    ]

    /// One page of the servers the caller may list, and whether more follow.
    public func servers(_ query: ListQuery, _ auth: AuthContext) throws -> (servers: [Server], more: Bool) {
        let project = try Policy.requireProjectReader(auth)
        let admin = Policy.isAdmin(auth)
        guard !query.matchesNothing else { return ([], false) }
        var listing = ServerListing(project: query.allTenants && admin ? nil : project, limit: min(query.limit, ListQuery.maxLimit))
        let equal: [(String, ServerListing.Value?)] = [
            ("image_id", query.imageId.map { .text($0) }), ("flavor_id", query.flavorId.map { .text($0) }),
            ("locked", query.locked.map { .integer($0 ? 1 : 0) }), ("reservation_id", query.reservationId.map { .text($0) }),
            ("id", query.uuid.map { .text($0) }), ("key_name", query.keyName.map { .text($0) }),
            ("vm_state", query.vmState.map { .text($0) }), ("task_state", query.taskState.map { .text($0) }),
            ("power_state", query.powerState.map { .integer($0) }), ("launch_index", query.launchIndex.map { .integer($0) }),
            ("user_id", query.userId.map { .text($0) }), ("project_id", admin ? query.projectId.map { .text($0) } : nil),
            ("access_ipv4", query.accessIpv4.map { .text($0) }), ("access_ipv6", query.accessIpv6.map { .text($0) }),
            ("config_drive", query.configDrive.map { .integer($0 ? 1 : 0) }),
        ]
        listing.equal = equal.compactMap { column, value in value.map { (column, $0) } }
        listing.updatedSince = query.changesSince
        listing.updatedBefore = query.changesBefore
        if let ip = query.ip { listing.ids = try servers(withFixedAddressMatching: try Self.regex(ip, "ip"), project: listing.project) }
        if let key = query.sortKey, let column = Self.sortColumns[key] { listing.sort = (column, query.ascending) }
        if let marker = query.marker {
            guard let id = ServerID.parse(marker) else { throw NimbusError.badRequest("marker [\(marker)] not found") }
            listing.marker = id
        }
        listing.matches = try Self.residualFilter(query)
        guard let page = try store.servers(listing) else { throw NimbusError.badRequest("marker [\(query.marker ?? "")] not found") }
        return page
    }

    /// Every server in the cloud, for the host's own figures: admins only.
    public func everyServer(_ auth: AuthContext) throws -> [Server] {
        guard Policy.isAdmin(auth) else { throw NimbusError.forbidden("Only admins see every server.") }
        return try store.servers()
    }

    /// The filters SQL cannot decide, as one test of a server; nil when there are none.
    static func residualFilter(_ query: ListQuery) throws -> (@Sendable (Server) -> Bool)? {
        let name = try query.name.map { try regex($0, "name") }
        let hostname = try query.hostname.map { try regex($0, "hostname") }
        let description = try query.description.map { try regex($0, "description") }
        let status = query.status?.uppercased()
        let tags = query.tags
        guard name != nil || hostname != nil || description != nil || status != nil || !tags.isEmpty else { return nil }
        return { server in
            if let name, !name.matches(server.name) { return false }
            if let hostname, !hostname.matches(server.hostname) { return false }
            if let description, !description.matches(server.description) { return false }
            if let status, server.status != status { return false }
            return tags.matches(server.tags)
        }
    }

    /// A Nova list filter's regular expression; a bad one is a 400.
    static func regex(_ pattern: String, _ key: String) throws -> Pattern {
        do { return Pattern(try NSRegularExpression(pattern: pattern)) } catch {
            throw NimbusError.badRequest("Invalid input for query parameters \(key). Value: \(pattern). It is not a regular expression.")
        }
    }

    /// A compiled regular expression, matched anywhere in a text (Nova's `re.search`).
    struct Pattern: @unchecked Sendable {  // NSRegularExpression is immutable once made.
        let expression: NSRegularExpression
        init(_ expression: NSRegularExpression) { self.expression = expression }

        func matches(_ text: String?) -> Bool {
            guard let text else { return false }
            return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    /// The servers (of a project, or all) with a fixed address the pattern matches.
    func servers(withFixedAddressMatching pattern: Pattern, project: ProjectID?) throws -> [ServerID] {
        let addresses = try networks.serverAddresses(project: project)
        return Set(addresses.filter { pattern.matches($0.address) }.compactMap { ServerID.parse($0.serverID) }).sorted { $0.rawValue < $1.rawValue }
    }

    /// Deletes a server: its VM, disks, sockets and ports go, then the
    /// record. Queued behind the server's other work: a build under way
    /// finishes first, and then nothing of it is left.
    public func delete(_ id: String, _ auth: AuthContext) async throws {
        try await request(.delete, id, rule: "servers:delete", auth).work.value
    }

    /// The last `lines` lines of the serial console log (all when nil).
    public func consoleOutput(_ id: String, lines: Int?, _ auth: AuthContext) throws -> String {
        let server = try server(id, auth)
        let paths = paths(server.id)
        // Firmware writes bytes that are not UTF-8 (OVMF draws its boxes in
        // code page 437): they become U+FFFD rather than losing the whole log.
        func read(_ path: String) -> String {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        let text = read(paths.consoleLog + ".1") + read(paths.consoleLog)
        guard let lines, lines >= 0 else { return text }
        // By scalars: a String's "\r\n" is one Character, which "\n" does not split.
        let all = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    /// At start-up: a server whose QEMU still runs is adopted, with its
    /// forwards brought up to date; one whose QEMU is gone is SHUTOFF (or
    /// ERROR if it was being built). Work that was under way is over; a
    /// delete under way is finished. Nothing else is deleted.
    public func reconcile() async throws {
        // Adopting a VM talks to the sockets found there: refuse a directory
        // someone else made or can write to.
        try PrivateDirectory.ensure(runtimeDirectory)
        for server in try store.servers() {
            let alive = await runtime.adopt(server.id, paths: paths(server.id))
            await deliver(.adopted(alive: alive), to: server.id).value
            logger.info("reconciled server", metadata: ["server.id": "\(server.id)", "running": "\(alive)"])
        }
    }
}
