import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A table of bad requests to POST /image/v2/images: each is a clear 4xx in
/// Glance's error shape, never a 500, and leaves no image behind.
@Suite("Image API bad inputs in process")
struct ImageAPIBadInputTests {
    struct BadCreate: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var body: @Sendable () -> String
        var contentType: String? = "application/json"
        var status: HTTPResponse.Status

        static let all: [BadCreate] = [
            BadCreate(testDescription: "malformed JSON", body: { #"{"name": "# }, status: .badRequest),
            BadCreate(testDescription: "trailing garbage", body: { #"{"name": "x"} trailing"# }, status: .badRequest),
            BadCreate(testDescription: "a JSON array body", body: { #"[{"name": "x"}]"# }, status: .badRequest),
            BadCreate(testDescription: "a JSON string body", body: { #""image""# }, status: .badRequest),
            BadCreate(testDescription: "an empty body", body: { "" }, status: .badRequest),
            BadCreate(testDescription: "disk_format floppy", body: { #"{"disk_format": "floppy"}"# }, status: .badRequest),
            BadCreate(testDescription: "container_format crate", body: { #"{"container_format": "crate"}"# }, status: .badRequest),
            BadCreate(testDescription: "min_ram -1", body: { #"{"min_ram": -1}"# }, status: .badRequest),
            BadCreate(testDescription: "min_disk \"x\"", body: { #"{"min_disk": "x"}"# }, status: .badRequest),
            BadCreate(testDescription: "min_disk 2.5", body: { #"{"min_disk": 2.5}"# }, status: .badRequest),
            BadCreate(testDescription: "min_ram beyond 32 bits", body: { #"{"min_ram": 99999999999}"# }, status: .badRequest),
            BadCreate(testDescription: "visibility everyone", body: { #"{"visibility": "everyone"}"# }, status: .badRequest),
            BadCreate(testDescription: "protected \"yes\"", body: { #"{"protected": "yes"}"# }, status: .badRequest),
            BadCreate(testDescription: "os_hidden 1", body: { #"{"os_hidden": 1}"# }, status: .badRequest),
            BadCreate(testDescription: "id not a UUID", body: { #"{"id": "my-image"}"# }, status: .badRequest),
            BadCreate(testDescription: "id a number", body: { #"{"id": 42}"# }, status: .badRequest),
            BadCreate(testDescription: "name not a string", body: { #"{"name": 42}"# }, status: .badRequest),
            BadCreate(testDescription: "name longer than 255", body: { #"{"name": "\#(String(repeating: "n", count: 256))"}"# }, status: .badRequest),
            BadCreate(testDescription: "tags not an array", body: { #"{"tags": "linux"}"# }, status: .badRequest),
            BadCreate(testDescription: "a tag not a string", body: { #"{"tags": ["ok", 5]}"# }, status: .badRequest),
            BadCreate(testDescription: "an empty tag", body: { #"{"tags": [""]}"# }, status: .badRequest),
            BadCreate(testDescription: "a property not a string", body: { #"{"hw_firmware_type": true}"# }, status: .badRequest),
            BadCreate(testDescription: "a property an object", body: { #"{"hw_firmware_type": {"a": "b"}}"# }, status: .badRequest),
            BadCreate(testDescription: "an empty property name", body: { #"{"": "x"}"# }, status: .badRequest),
            BadCreate(testDescription: "read-only status", body: { #"{"status": "active"}"# }, status: .forbidden),
            BadCreate(testDescription: "read-only checksum", body: { #"{"checksum": "abc"}"# }, status: .forbidden),
            BadCreate(testDescription: "read-only size", body: { #"{"size": 5}"# }, status: .forbidden),
            BadCreate(testDescription: "reserved location", body: { #"{"location": "http://example.com/x"}"# }, status: .forbidden),
            BadCreate(testDescription: "owner not a string", body: { #"{"owner": 5}"# }, status: .badRequest),
            BadCreate(testDescription: "a body over 1 MiB", body: { #"{"name": "\#(String(repeating: "x", count: (1 << 20) + 10))"}"# }, status: .contentTooLarge),
            BadCreate(testDescription: "Content-Type text/plain", body: { #"{"name": "x"}"# }, contentType: "text/plain", status: .unsupportedMediaType),
            BadCreate(testDescription: "Content-Type of a patch", body: { #"{"name": "x"}"# }, contentType: patchMediaType, status: .unsupportedMediaType),
        ]
    }

    @Test("a bad create is a clear 4xx in Glance's shape and leaves no image", arguments: BadCreate.all)
    func badCreate(_ bad: BadCreate) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let existing = try await admin.createImageID(#"{"name": "existing"}"#)
            var headers: HTTPFields = [:]
            if let contentType = bad.contentType { headers[.contentType] = contentType }
            let response = try await admin.send(.post, "/image/v2/images", headers: headers, body: ByteBuffer(string: bad.body()))
            #expect(response.status == bad.status, "gave \(response.status): \(response.text.prefix(300))")
            #expect(response.status.code != 500)
            let message = try response.glanceError()
            #expect(message.count < 1000, "the message should not echo the whole body")
            #expect(try await admin.listedIDs("visibility=all") == [existing])
        }
    }

    @Test("a body without Content-Type is read as JSON")
    func createWithoutContentType() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.send(.post, "/image/v2/images", body: ByteBuffer(string: #"{"name": "untyped"}"#))
            #expect(response.status == .created)
        }
    }

    @Test("bad member and tag requests are 4xx, never 500")
    func badMembersAndTags() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "x"}"#)
            for body in ["", "[]", "{", #"{"member": 5}"#, #"{"member": ""}"#] {
                let response = try await admin.send(.post, "/image/v2/images/\(id)/members", json: body)
                #expect(response.status == .badRequest, "members body \(body) gave \(response.status)")
                try response.glanceError()
            }
            let longTag = String(repeating: "t", count: 256)
            let response = try await admin.send(.put, "/image/v2/images/\(id)/tags/\(longTag)")
            #expect(response.status == .badRequest)
            #expect(try await admin.show(id)["tags"] as? [String] == [])
        }
    }
}
