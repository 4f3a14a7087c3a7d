import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Uploads that must be refused: data that is not what disk_format says, unsafe
/// disk images, and data that does not match the hash the client announced.
/// A refusal is a 400 that says why, keeps no bytes and leaves the image queued.
@Suite("Image upload verification in process")
struct ImageUploadVerificationTests {
    struct Refusal: Sendable, CustomTestStringConvertible {
        var diskFormat: String
        var payload: @Sendable () -> [UInt8]
        /// Words the message must contain (lowercased), so the user knows why.
        var mentions: [String]
        var testDescription: String

        static let all: [Refusal] = [
            Refusal(diskFormat: "qcow2", payload: { Payload.qcow2(backingFile: true) }, mentions: ["backing file"],
                    testDescription: "a qcow2 with a backing file declared qcow2"),
            Refusal(diskFormat: "raw", payload: { Payload.qcow2(backingFile: false) }, mentions: ["qcow2"],
                    testDescription: "qcow2 bytes declared raw"),
            Refusal(diskFormat: "raw", payload: { Payload.qcow2(backingFile: true) }, mentions: ["qcow2"],
                    testDescription: "a qcow2 with a backing file declared raw"),
            Refusal(diskFormat: "iso", payload: { Payload.text() }, mentions: ["iso"],
                    testDescription: "text declared iso"),
            Refusal(diskFormat: "iso", payload: { Array("short".utf8) }, mentions: ["iso"],
                    testDescription: "a few bytes declared iso"),
            Refusal(diskFormat: "qcow2", payload: { Payload.iso() }, mentions: ["qcow2"],
                    testDescription: "an ISO declared qcow2"),
            Refusal(diskFormat: "raw", payload: { [] }, mentions: ["empty"],
                    testDescription: "no data at all"),
        ]
    }

    @Test("a refused upload is 400 with the reason, keeps nothing and leaves the image queued", arguments: Refusal.all)
    func refusedUpload(_ refusal: Refusal) async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "refused", "disk_format": "\#(refusal.diskFormat)", "container_format": "bare"}"#)
            let response = try await admin.upload(id, refusal.payload())
            #expect(response.status == .badRequest)
            let message = try response.glanceError().lowercased()
            for word in refusal.mentions {
                #expect(message.contains(word), "message \(message) should mention \(word)")
            }
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "queued")
            #expect(image["size"] is NSNull)
            #expect(image["checksum"] is NSNull)
            try blobs.expectEmpty()
            #expect(try await admin.download(id).status == .noContent)

            // The refusal is not final: the right data can still be uploaded.
            let fixed = try await admin.patch(id, #"[{"op": "replace", "path": "/disk_format", "value": "raw"}]"#)
            #expect(fixed.status == .ok)
            let good = Payload.raw(2048)
            #expect(try await admin.upload(id, good).status == .noContent)
            #expect(try await admin.show(id)["status"] as? String == "active")
            #expect(try blobs.blobs() == [Digest.sha512(good)])
        }
    }

    @Test("a Content-MD5 that does not match is 400 and keeps nothing")
    func contentMD5Mismatch() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let bytes = Payload.raw(10_000)
            let other = Digest.md5Base64(Payload.raw(10_000, seed: 42))
            let response = try await admin.upload(id, bytes, headers: [.md5: other])
            #expect(response.status == .badRequest)
            #expect(try response.glanceError().contains("MD5"))
            #expect(try await admin.show(id)["status"] as? String == "queued")
            try blobs.expectEmpty()
        }
    }

    @Test("a Content-MD5 that is not a digest at all is 400 and keeps nothing", arguments: ["nonsense", "", "AAAA", String(repeating: "z", count: 32)])
    func contentMD5Malformed(header: String) async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let response = try await admin.upload(id, Payload.raw(1000), headers: [.md5: header])
            #expect(response.status == .badRequest)
            try response.glanceError()
            #expect(try await admin.show(id)["status"] as? String == "queued")
            try blobs.expectEmpty()
        }
    }

    @Test("a matching Content-MD5, base64 or hex, is accepted", arguments: [true, false])
    func contentMD5Match(base64: Bool) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"disk_format": "iso", "container_format": "bare"}"#)
            let bytes = Payload.iso()
            let header = base64 ? Digest.md5Base64(bytes) : Digest.md5(bytes).uppercased()
            let response = try await admin.upload(id, bytes, headers: [.md5: header])
            #expect(response.status == .noContent, "\(response.text)")
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["checksum"] as? String == Digest.md5(bytes))
        }
    }

    @Test("expected_sha256 set before the upload: a mismatch is 400 and keeps nothing; a match is active")
    func expectedSHA256() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(50_000)
            let wrong = Digest.sha256(Payload.raw(50_000, seed: 3))
            let refused = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare", "expected_sha256": "\#(wrong)"}"#)
            let response = try await admin.upload(refused, bytes)
            #expect(response.status == .badRequest)
            #expect(try response.glanceError().contains("SHA-256"))
            #expect(try await admin.show(refused)["status"] as? String == "queued")
            try blobs.expectEmpty()

            // Set with a patch, in upper case: hex digits are compared without case.
            let accepted = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let patch = try await admin.patch(accepted, #"[{"op": "add", "path": "/expected_sha256", "value": "\#(Digest.sha256(bytes).uppercased())"}]"#)
            #expect(patch.status == .ok)
            #expect(try await admin.upload(accepted, bytes).status == .noContent)
            let image = try await admin.show(accepted)
            #expect(image["status"] as? String == "active")
            #expect(image["os_hash_value"] as? String == Digest.sha512(bytes))
            #expect(try blobs.blobs() == [Digest.sha512(bytes)])
        }
    }

    @Test("expected_sha512 set before the upload: a mismatch is 400; a match is active")
    func expectedSHA512() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.iso()
            let wrong = Digest.sha512(Payload.raw(16))
            let refused = try await admin.createImageID(#"{"disk_format": "iso", "container_format": "bare", "expected_sha512": "\#(wrong)"}"#)
            #expect(try await admin.upload(refused, bytes).status == .badRequest)
            #expect(try await admin.show(refused)["status"] as? String == "queued")
            try blobs.expectEmpty()

            let accepted = try await admin.createImageID(#"{"disk_format": "iso", "container_format": "bare", "expected_sha512": "\#(Digest.sha512(bytes))"}"#)
            #expect(try await admin.upload(accepted, bytes).status == .noContent)
            #expect(try await admin.show(accepted)["status"] as? String == "active")
        }
    }

    @Test("an expected hash that is not hex of the right length is refused when the image is created", arguments: [
        #""expected_sha256": "not-a-hash""#,
        #""expected_sha256": "\#(String(repeating: "a", count: 63))""#,
        #""expected_sha256": "\#(String(repeating: "g", count: 64))""#,
        #""expected_sha256": 5"#,
        #""expected_sha512": "\#(String(repeating: "a", count: 64))""#,
    ])
    func expectedHashInvalid(attribute: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.send(.post, "/image/v2/images", json: #"{"disk_format": "raw", "container_format": "bare", \#(attribute)}"#)
            #expect(response.status == .badRequest)
            try response.glanceError()
            #expect(try await admin.listedIDs() == [])
        }
    }
}
