import Foundation
import Identity
import NimbusCore

extension ComputeService {
    /// A server the caller may see: its project's, or any for admins. Others are 404.
    public func server(_ id: String, _ auth: AuthContext) throws -> Server {
        guard let serverID = ServerID.parse(id), let server = try store.server(id: serverID),
              Policy.isAdmin(auth) || (Policy.isReader(auth) && server.projectId == auth.projectId)
        else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return server
    }

    /// Nova's list filters that Nimbus honours.
    public struct ListQuery: Sendable {
        public var allTenants = false
        public var name: String?
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
        public init() {}
    }

    public func servers(_ query: ListQuery, _ auth: AuthContext) throws -> [Server] {
        let project = try Policy.requireProjectReader(auth)
        let all = query.allTenants && Policy.isAdmin(auth)
        let pattern = try query.name.map { try NSRegularExpression(pattern: $0) }
        return try store.servers(project: all ? nil : project).filter { server in
            if let pattern, pattern.firstMatch(in: server.name, range: NSRange(server.name.startIndex..., in: server.name)) == nil { return false }
            if let status = query.status, server.status != status.uppercased() { return false }
            if let image = query.imageId, server.imageId?.rawValue != image { return false }
            if let flavor = query.flavorId, server.flavorId.rawValue != flavor { return false }
            if let since = query.changesSince, server.updatedAt < since { return false }
            if let before = query.changesBefore, server.updatedAt > before { return false }
            if let locked = query.locked, server.locked != locked { return false }
            if let reservation = query.reservationId, server.reservationId != reservation { return false }
            if let uuid = query.uuid, server.id.rawValue != uuid { return false }
            if let keyName = query.keyName, server.keyName != keyName { return false }
            if let vmState = query.vmState, server.vmState.rawValue != vmState { return false }
            return query.tags.matches(server.tags)
        }
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
        for server in try store.servers() {
            let alive = await runtime.adopt(server.id, paths: paths(server.id))
            await deliver(.adopted(alive: alive), to: server.id).value
            logger.info("reconciled server", metadata: ["server.id": "\(server.id)", "running": "\(alive)"])
        }
    }
}
