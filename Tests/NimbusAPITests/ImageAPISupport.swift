import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

extension HTTPField.Name {
    static let authToken = Self("X-Auth-Token")!
    static let md5 = Self("Content-MD5")!
}

/// Glance's JSON-patch media type, spelled out as a client sends it.
let patchMediaType = "application/openstack-images-v2.1-json-patch"

/// One caller of the API: the in-process client and a project-scoped token.
struct Caller: Sendable {
    let client: any TestClientProtocol
    let token: String

    static func admin(_ client: any TestClientProtocol) async throws -> Caller {
        Caller(client: client, token: try await client.token())
    }

    /// The smallest data the image service takes as an ISO: an ISO 9660
    /// primary volume descriptor at sector 16.
    static let smallestISO: [UInt8] = {
        var iso = [UInt8](repeating: 0, count: 18 * 2048)
        iso[16 * 2048] = 1
        iso.replaceSubrange(16 * 2048 + 1..<16 * 2048 + 6, with: Array("CD001".utf8))
        return iso
    }()

    func send(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> TestResponse {
        var fields = headers
        fields[.authToken] = token
        // As keystoneauth's clients (openstack, openstacksdk) ask; Glance's HTML error pages are tested on their own.
        if fields[.accept] == nil { fields[.accept] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: fields, body: body)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, json: String, contentType: String = "application/json") async throws -> TestResponse {
        try await send(method, path, headers: [.contentType: contentType], body: ByteBuffer(string: json))
    }

    // MARK: Images

    /// Creates an image and requires a 201; returns the image body.
    func createImage(_ json: String = "{}", sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let response = try await send(.post, "/image/v2/images", json: json)
        try #require(response.status == .created, "create \(json) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try response.object(sourceLocation: sourceLocation)
    }

    /// Creates an image and returns its id.
    func createImageID(_ json: String = "{}", sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try #require(try await createImage(json, sourceLocation: sourceLocation)["id"] as? String, sourceLocation: sourceLocation)
    }

    /// Shows an image and requires a 200.
    func show(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let response = try await send(.get, "/image/v2/images/\(id)")
        try #require(response.status == .ok, "show \(id) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try response.object(sourceLocation: sourceLocation)
    }

    func upload(_ id: String, _ bytes: [UInt8], headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields: HTTPFields = [.contentType: "application/octet-stream"]
        for field in headers { fields[field.name] = field.value }
        return try await send(.put, "/image/v2/images/\(id)/file", headers: fields, body: ByteBuffer(bytes: bytes))
    }

    /// Creates an image with the given attributes, uploads `bytes` and requires it to become active.
    func activeImage(_ json: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let id = try await createImageID(json, sourceLocation: sourceLocation)
        let response = try await upload(id, bytes)
        try #require(response.status == .noContent, "upload gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return id
    }

    func download(_ id: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.get, "/image/v2/images/\(id)/file", headers: headers)
    }

    func patch(_ id: String, _ operations: String, mediaType: String = patchMediaType) async throws -> TestResponse {
        try await send(.patch, "/image/v2/images/\(id)", json: operations, contentType: mediaType)
    }

    /// One page of the image list; requires a 200.
    func list(_ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let response = try await send(.get, "/image/v2/images" + (query.isEmpty ? "" : "?" + query))
        try #require(response.status == .ok, "list ?\(query) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try response.object(sourceLocation: sourceLocation)
    }

    /// The ids on one page of the image list, in order.
    func listedIDs(_ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let page = try await list(query, sourceLocation: sourceLocation)
        let images = try #require(page["images"] as? [[String: Any]], sourceLocation: sourceLocation)
        return images.compactMap { $0["id"] as? String }
    }

    // MARK: Identity

    func projectID(named name: String) async throws -> String {
        let response = try await send(.get, "/identity/v3/projects?name=\(name)")
        try #require(response.status == .ok)
        let projects = try #require(try response.object()["projects"] as? [[String: Any]])
        return try #require(projects.first?["id"] as? String)
    }

    func createProject(_ name: String) async throws -> String {
        let response = try await send(.post, "/identity/v3/projects", json: #"{"project": {"name": "\#(name)", "domain_id": "default"}}"#)
        try #require(response.status == .created, "project create gave \(response.status): \(response.text)")
        return try #require((try response.object()["project"] as? [String: Any])?["id"] as? String)
    }

    func createUser(_ name: String, password: String, project: String) async throws -> String {
        let body = #"{"user": {"name": "\#(name)", "password": "\#(password)", "domain_id": "default", "default_project_id": "\#(project)"}}"#
        let response = try await send(.post, "/identity/v3/users", json: body)
        try #require(response.status == .created, "user create gave \(response.status): \(response.text)")
        return try #require((try response.object()["user"] as? [String: Any])?["id"] as? String)
    }

    /// The id of a role, looked up by name as `openstack role add` does.
    func roleID(named name: String) async throws -> String {
        let response = try await send(.get, "/identity/v3/roles?name=\(name)")
        try #require(response.status == .ok)
        let roles = try #require(try response.object()["roles"] as? [[String: Any]])
        try #require(roles.count == 1, "roles named \(name): \(roles)")
        return try #require(roles[0]["id"] as? String)
    }

    func grant(role: String, project: String, user: String) async throws {
        let roleID = try await roleID(named: role)
        let response = try await send(.put, "/identity/v3/projects/\(project)/users/\(user)/roles/\(roleID)")
        try #require(response.status == .noContent, "role grant gave \(response.status): \(response.text)")
    }

    /// A new user with `role` on `project`, logged in and scoped to it. Run as admin.
    func newUser(_ name: String, role: String, projectID: String, projectName: String) async throws -> Caller {
        let password = "pw-\(name)"
        let user = try await createUser(name, password: password, project: projectID)
        try await grant(role: role, project: projectID, user: user)
        return Caller(client: client, token: try await client.token(user: name, password: password, project: projectName))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bytes: [UInt8] { Array(body.readableBytesView) }

    func object(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return try #require(parsed as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    /// Requires Glance's error shape: `{"code": "404 Not Found", "title": "Not Found", "message": "..."}`
    /// with the response's status; returns the message.
    @discardableResult
    func glanceError(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let error = try object(sourceLocation: sourceLocation)
        #expect(error["code"] as? String == "\(status.code) \(status.reasonPhrase)", "\(error)", sourceLocation: sourceLocation)
        #expect(error["title"] as? String == status.reasonPhrase, "\(error)", sourceLocation: sourceLocation)
        let message = try #require(error["message"] as? String, "\(error)", sourceLocation: sourceLocation)
        #expect(!message.isEmpty, sourceLocation: sourceLocation)
        return message
    }
}

/// A JSON object in one canonical spelling (sorted keys), to compare two responses whole.
func canonicalJSON(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

// MARK: Payloads

/// Small, real image payloads built in the tests.
enum Payload {
    /// The smallest ISO 9660 image the inspector accepts: a 32 KiB system area of
    /// zeros, then sector 16 holding a primary volume descriptor (type 1, "CD001").
    static func iso() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16 * 2048)
        var sector = [UInt8](repeating: 0, count: 2048)
        sector.replaceSubrange(0..<7, with: [1] + Array("CD001".utf8) + [1])
        bytes += sector
        return bytes
    }

    /// Deterministic bytes with no disk image signature (xorshift64).
    static func raw(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// A qcow2 version 3 header, optionally declaring a backing file ("base.raw" at offset 512).
    static func qcow2(backingFile: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4096)
        func put(_ raw: [UInt8], at offset: Int) { bytes.replaceSubrange(offset..<offset + raw.count, with: raw) }
        func be<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            put((0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ((T.bitWidth / 8 - 1 - $0) * 8)) }, at: offset)
        }
        put([0x51, 0x46, 0x49, 0xFB], at: 0)
        be(UInt32(3), at: 4)
        if backingFile {
            be(UInt64(512), at: 8)
            be(UInt32(8), at: 16)
            put(Array("base.raw".utf8), at: 512)
        }
        be(UInt32(16), at: 20)  // 64 KiB clusters
        be(UInt64(1 << 30), at: 24)  // 1 GiB virtual size
        be(UInt32(104), at: 100)  // header length
        return bytes
    }

    /// Plain text, longer than an ISO's first volume descriptor offset.
    static func text() -> [UInt8] {
        Array(String(repeating: "This is a text file, not an ISO image.\n", count: 1000).utf8)
    }
}

// MARK: Digests

enum Digest {
    static func hex(_ digest: some Crypto.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
    static func md5(_ bytes: [UInt8]) -> String { hex(Insecure.MD5.hash(data: bytes)) }
    static func md5Base64(_ bytes: [UInt8]) -> String { Data(Insecure.MD5.hash(data: bytes)).base64EncodedString() }
    static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }
    static func sha512(_ bytes: [UInt8]) -> String { hex(SHA512.hash(data: bytes)) }
}

// MARK: Blob directory

/// What is on disk under the blob directory: the stored blobs and the uploads in progress.
struct BlobDirectory {
    let url: URL

    /// Every entry except the `.incoming` directory.
    func blobs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0 != ".incoming" }.sorted()
    }

    func incoming() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.appendingPathComponent(".incoming").path)
    }

    /// Requires that nothing at all is stored: no blob, and no upload left in `.incoming`.
    func expectEmpty(sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try blobs() == [], sourceLocation: sourceLocation)
        #expect(try incoming() == [], sourceLocation: sourceLocation)
    }
}

extension TestCloud {
    var blobDirectory: BlobDirectory { BlobDirectory(url: configuration.blobsDirectory) }
}
