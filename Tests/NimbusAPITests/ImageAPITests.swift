import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The Image v2 API as a Glance user sees it: create, show, upload, download,
/// update, tags, deactivation, protection and shared content.
@Suite("Image API in process")
struct ImageAPITests {
    @Test("create answers 201 with Glance's fields and defaults; show and list return the same image")
    func createShowList() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let adminProject = try await admin.projectID(named: "admin")
            let response = try await admin.send(.post, "/image/v2/images", json: """
                {"name": "fedora", "disk_format": "iso", "container_format": "bare", "tags": ["os", "installer"],
                 "hw_firmware_type": "uefi", "min_ram": 1024}
                """)
            #expect(response.status == .created)
            let image = try response.object()
            let id = try #require(image["id"] as? String)
            #expect(UUID(uuidString: id) != nil)
            #expect(response.headers[.location]?.hasSuffix("/image/v2/images/\(id)") == true)
            #expect(image["name"] as? String == "fedora")
            #expect(image["status"] as? String == "queued")
            #expect(image["visibility"] as? String == "shared")
            #expect(image["protected"] as? Bool == false)
            #expect(image["os_hidden"] as? Bool == false)
            #expect(image["owner"] as? String == adminProject)
            #expect(image["disk_format"] as? String == "iso")
            #expect(image["container_format"] as? String == "bare")
            #expect(image["min_ram"] as? Int == 1024)
            #expect(image["min_disk"] as? Int == 0)
            #expect(image["tags"] as? [String] == ["os", "installer"])
            #expect(image["hw_firmware_type"] as? String == "uefi")
            for empty in ["size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value"] {
                #expect(image[empty] is NSNull, "\(empty) should be null before an upload")
            }
            #expect(image["self"] as? String == "/v2/images/\(id)")
            #expect(image["file"] as? String == "/v2/images/\(id)/file")
            #expect(image["schema"] as? String == "/v2/schemas/image")
            let created = try #require(image["created_at"] as? String)
            #expect(ISO8601DateFormatter().date(from: created) != nil, "created_at \(created) is not ISO 8601")

            let shown = try await admin.show(id)
            #expect(try canonicalJSON(shown) == canonicalJSON(image), "show differs from create")

            let page = try await admin.list()
            let listed = try #require(page["images"] as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(try canonicalJSON(try #require(listed.first)) == canonicalJSON(image), "list differs from create")
            #expect(page["schema"] as? String == "/v2/schemas/images")
            #expect(page["first"] as? String == "/v2/images")
            #expect(page["next"] == nil)
        }
    }

    @Test("an image without attributes gets Glance's defaults")
    func createDefaults() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let image = try await admin.createImage()
            #expect(image["name"] is NSNull)
            #expect(image["disk_format"] is NSNull)
            #expect(image["container_format"] is NSNull)
            #expect(image["visibility"] as? String == "shared")
            #expect(image["status"] as? String == "queued")
            #expect(image["tags"] as? [String] == [])
        }
    }

    @Test("name may be null, as Glance's schema says; a patch can set it back to null")
    func nullName() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let image = try await admin.createImage(#"{"name": null, "disk_format": "raw"}"#)
            #expect(image["name"] is NSNull)
            let id = try #require(image["id"] as? String)
            #expect(try await admin.patch(id, #"[{"op": "replace", "path": "/name", "value": "named"}]"#).status == .ok)
            #expect(try await admin.show(id)["name"] as? String == "named")
            #expect(try await admin.patch(id, #"[{"op": "replace", "path": "/name", "value": null}]"#).status == .ok)
            #expect(try await admin.show(id)["name"] is NSNull)
        }
    }

    @Test("a client may choose the id of a new image once; a second image with it is 409")
    func clientChosenID() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = UUID().uuidString.lowercased()
            let image = try await admin.createImage(#"{"id": "\#(id)", "name": "chosen"}"#)
            #expect(image["id"] as? String == id)
            let again = try await admin.send(.post, "/image/v2/images", json: #"{"id": "\#(id)", "name": "again"}"#)
            #expect(again.status == .conflict)
            try again.glanceError()
            #expect(try await admin.listedIDs() == [id])
            #expect(try await admin.show(id)["name"] as? String == "chosen")
        }
    }

    @Test("a non-UUID id and an unknown id are 404 in Glance's error shape", arguments: [
        "not-a-uuid", "00000000-0000-0000-0000-000000000000", "../../etc/passwd",
    ])
    func unknownImage(id: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let path = "/image/v2/images/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id)"
            for (method, suffix) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.get, "/file")] {
                let response = try await admin.send(method, path + suffix)
                #expect(response.status == .notFound, "\(method) \(path + suffix) gave \(response.status)")
                try response.glanceError()
            }
            let patch = try await admin.send(.patch, path, json: #"[{"op": "replace", "path": "/name", "value": "x"}]"#, contentType: patchMediaType)
            #expect(patch.status == .notFound)
            try patch.glanceError()
        }
    }

    @Test("a request without a token, or with a bad one, is 401")
    func unauthenticated() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let response = try await client.execute(uri: "/image/v2/images", method: .get)
            #expect(response.status == .unauthorized)
            try response.glanceError()
            let forged = try await Caller(client: client, token: "not-a-token").send(.get, "/image/v2/images")
            #expect(forged.status == .unauthorized)
        }
    }

    @Test("an unknown path under /image is 404 in Glance's shape")
    func unknownPath() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.send(.get, "/image/v2/nothing-here")
            #expect(response.status == .notFound)
            try response.glanceError()
        }
    }

    // MARK: Upload and download

    @Test("uploading an ISO makes the image active with its size and hashes")
    func uploadISO() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.iso()
            let id = try await admin.createImageID(#"{"name": "tiny-iso", "disk_format": "iso", "container_format": "bare"}"#)
            let response = try await admin.upload(id, bytes)
            #expect(response.status == .noContent, "\(response.text)")
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["size"] as? Int == bytes.count)
            #expect(image["virtual_size"] as? Int == bytes.count)
            #expect(image["checksum"] as? String == Digest.md5(bytes))
            #expect(image["os_hash_algo"] as? String == "sha512")
            #expect(image["os_hash_value"] as? String == Digest.sha512(bytes))
            // Stored once, under its sha512, read-only; nothing left mid-upload.
            #expect(try blobs.blobs() == [Digest.sha512(bytes)])
            #expect(try blobs.incoming() == [])
            let attributes = try FileManager.default.attributesOfItem(atPath: blobs.url.appendingPathComponent(Digest.sha512(bytes)).path)
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o222 } == 0, "a blob must be read-only")
        }
    }

    @Test("uploading raw bytes makes the image active with its size and hashes")
    func uploadRaw() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            // More than one 32 KiB chunk of the request body, and not a multiple of it.
            let bytes = Payload.raw(100_003)
            let id = try await admin.activeImage(#"{"name": "disk", "disk_format": "raw", "container_format": "bare"}"#, bytes)
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["size"] as? Int == bytes.count)
            #expect(image["checksum"] as? String == Digest.md5(bytes))
            #expect(image["os_hash_algo"] as? String == "sha512")
            #expect(image["os_hash_value"] as? String == Digest.sha512(bytes))
        }
    }

    @Test("a clean qcow2 declared qcow2 is accepted")
    func uploadQCOW2() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.qcow2(backingFile: false)
            let id = try await admin.activeImage(#"{"disk_format": "qcow2", "container_format": "bare"}"#, bytes)
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["checksum"] as? String == Digest.md5(bytes))
        }
    }

    @Test("a second upload to an active image is 409 and changes nothing")
    func secondUpload() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let first = Payload.raw(4096)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, first)
            let response = try await admin.upload(id, Payload.raw(4096, seed: 7))
            #expect(response.status == .conflict)
            try response.glanceError()
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["checksum"] as? String == Digest.md5(first))
            #expect(try blobs.blobs() == [Digest.sha512(first)])
            #expect(try blobs.incoming() == [])
            #expect(try await admin.download(id).bytes == first)
        }
    }

    @Test("an upload before disk_format and container_format are set is 400 and keeps the image queued")
    func uploadWithoutFormats() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "formatless"}"#)
            let response = try await admin.upload(id, Payload.raw(1024))
            #expect(response.status == .badRequest)
            #expect(try response.glanceError().contains("disk_format"))
            #expect(try await admin.show(id)["status"] as? String == "queued")
            try blobs.expectEmpty()

            let onlyDisk = try await admin.createImageID(#"{"disk_format": "raw"}"#)
            #expect(try await admin.upload(onlyDisk, Payload.raw(1024)).status == .badRequest)
            #expect(try await admin.show(onlyDisk)["status"] as? String == "queued")
        }
    }

    @Test("image data sent as anything but application/octet-stream is 415")
    func uploadWrongContentType() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let response = try await admin.send(.put, "/image/v2/images/\(id)/file", headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: "{}"))
            #expect(response.status == .unsupportedMediaType)
            try response.glanceError()
            #expect(try await admin.show(id)["status"] as? String == "queued")
        }
    }

    @Test("download returns the exact bytes with Content-Length and Content-MD5")
    func download() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(70_001)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, bytes)
            let response = try await admin.download(id)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/octet-stream")
            #expect(response.headers[.contentLength] == "\(bytes.count)")
            #expect(response.headers[.md5] == Digest.md5(bytes))
            #expect(response.bytes == bytes)
        }
    }

    @Test("Range requests: a closed range, an open range and a suffix are 206 with Content-Range")
    func downloadRanges() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(5000)
            let size = bytes.count
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, bytes)
            let cases: [(range: String, slice: ClosedRange<Int>)] = [
                ("bytes=10-19", 10...19),
                ("bytes=-5", (size - 5)...(size - 1)),
                ("bytes=4990-", 4990...(size - 1)),
                ("bytes=0-0", 0...0),
                ("bytes=4995-99999", 4995...(size - 1)),
            ]
            for (range, slice) in cases {
                let response = try await admin.download(id, headers: [.range: range])
                #expect(response.status == .partialContent, "\(range)")
                #expect(response.headers[.contentRange] == "bytes \(slice.lowerBound)-\(slice.upperBound)/\(size)", "\(range)")
                #expect(response.headers[.contentLength] == "\(slice.count)", "\(range)")
                #expect(response.bytes == Array(bytes[slice]), "\(range)")
            }
        }
    }

    @Test("an unsatisfiable Range is 416 with Content-Range bytes */SIZE", arguments: [
        "bytes=5000-5010", "bytes=20-10", "bytes=-0", "bytes=abc",
    ])
    func unsatisfiableRange(range: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(5000)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, bytes)
            let response = try await admin.download(id, headers: [.range: range])
            #expect(response.status == .rangeNotSatisfiable)
            #expect(response.headers[.contentRange] == "bytes */5000")
            try response.glanceError()
        }
    }

    @Test("a Range in another unit or with several ranges is ignored: the whole image, 200", arguments: [
        "lines=1-2", "bytes=0-1,5-6",
    ])
    func ignoredRange(range: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(5000)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, bytes)
            let response = try await admin.download(id, headers: [.range: range])
            #expect(response.status == .ok)
            #expect(response.headers[.contentRange] == nil)
            #expect(response.bytes == bytes)
        }
    }

    @Test("downloading a queued image is 204 with no body")
    func downloadQueued() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let response = try await admin.download(id)
            #expect(response.status == .noContent)
            #expect(response.body.readableBytes == 0)
        }
    }

    // MARK: Shared content

    @Test("identical bytes are stored once; deleting one image keeps the other's data; deleting both removes it")
    func deduplication() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.iso()
            let first = try await admin.activeImage(#"{"name": "one", "disk_format": "iso", "container_format": "bare"}"#, bytes)
            let second = try await admin.activeImage(#"{"name": "two", "disk_format": "iso", "container_format": "bare"}"#, bytes)
            #expect(try blobs.blobs() == [Digest.sha512(bytes)])
            #expect(try blobs.incoming() == [])

            // A refused upload of the same bytes must not take the shared blob with it.
            let refused = try await admin.createImageID(
                #"{"disk_format": "iso", "container_format": "bare", "expected_sha256": "\#(String(repeating: "0", count: 64))"}"#)
            #expect(try await admin.upload(refused, bytes).status == .badRequest)
            #expect(try blobs.blobs() == [Digest.sha512(bytes)])
            #expect(try await admin.send(.delete, "/image/v2/images/\(refused)").status == .noContent)
            #expect(try blobs.blobs() == [Digest.sha512(bytes)], "deleting an image without data keeps the blob")

            #expect(try await admin.send(.delete, "/image/v2/images/\(first)").status == .noContent)
            #expect(try await admin.send(.get, "/image/v2/images/\(first)").status == .notFound)
            #expect(try blobs.blobs() == [Digest.sha512(bytes)])
            let download = try await admin.download(second)
            #expect(download.status == .ok)
            #expect(download.bytes == bytes)

            #expect(try await admin.send(.delete, "/image/v2/images/\(second)").status == .noContent)
            try blobs.expectEmpty()
        }
    }

    @Test("deleting an image removes its data and answers 404 afterwards")
    func deleteImage() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, Payload.raw(2048))
            #expect(try await admin.send(.delete, "/image/v2/images/\(id)").status == .noContent)
            #expect(try await admin.download(id).status == .notFound)
            let again = try await admin.send(.delete, "/image/v2/images/\(id)")
            #expect(again.status == .notFound)
            try again.glanceError()
            #expect(try await admin.listedIDs() == [])
            try blobs.expectEmpty()
        }
    }

    // MARK: Update

    @Test("JSON patch adds a property, replaces the name and removes a property")
    func patch() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "before", "os_distro": "fedora"}"#)
            let response = try await admin.patch(id, """
                [{"op": "add", "path": "/hw_firmware_type", "value": "uefi"},
                 {"op": "replace", "path": "/name", "value": "after"},
                 {"op": "remove", "path": "/os_distro"},
                 {"op": "replace", "path": "/min_disk", "value": 20}]
                """)
            #expect(response.status == .ok, "\(response.text)")
            let patched = try response.object()
            #expect(patched["hw_firmware_type"] as? String == "uefi")
            #expect(patched["name"] as? String == "after")
            #expect(patched["os_distro"] == nil)
            #expect(patched["min_disk"] as? Int == 20)
            let shown = try await admin.show(id)
            #expect(try canonicalJSON(shown) == canonicalJSON(patched))
        }
    }

    @Test("JSON patch with the older v2.0 media type and a charset parameter is accepted")
    func patchMediaTypes() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "a"}"#)
            let older = try await admin.patch(id, #"[{"op": "replace", "path": "/name", "value": "b"}]"#,
                                              mediaType: "application/openstack-images-v2.0-json-patch")
            #expect(older.status == .ok)
            let withCharset = try await admin.patch(id, #"[{"op": "replace", "path": "/name", "value": "c"}]"#,
                                                    mediaType: patchMediaType + "; charset=UTF-8")
            #expect(withCharset.status == .ok)
            #expect(try await admin.show(id)["name"] as? String == "c")
        }
    }

    @Test("the v2.0 media type also takes Glance's older form, the operation named by its key")
    func patchOlderForm() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "a", "protected": true, "os_distro": "x"}"#)
            let response = try await admin.patch(id, #"[{"replace": "/protected", "value": false}, {"remove": "/os_distro"}, {"add": "/os_version", "value": "1"}]"#,
                                                 mediaType: "application/openstack-images-v2.0-json-patch")
            #expect(response.status == .ok, "\(response.text)")
            let shown = try await admin.show(id)
            #expect(shown["protected"] as? Bool == false && shown["os_distro"] == nil && shown["os_version"] as? String == "1")
            let neither = try await admin.patch(id, #"[{"move": "/name"}]"#, mediaType: "application/openstack-images-v2.0-json-patch")
            #expect(neither.status == .badRequest)
        }
    }

    @Test("os_glance properties are Glance's own: 403 on create and update; GET images/ is an image with an empty ID, 404")
    func reservedPrefixAndEmptyID() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.send(.post, "/image/v2/images", json: #"{"name": "r", "os_glance_foo": "bar"}"#)
            #expect(created.status == .forbidden, "\(created.text)")
            let id = try await admin.createImageID(#"{"name": "r"}"#)
            let patched = try await admin.patch(id, #"[{"op": "add", "path": "/os_glance_foo", "value": "bar"}]"#)
            #expect(patched.status == .forbidden, "\(patched.text)")
            #expect(try await admin.show(id)["os_glance_foo"] == nil)
            let empty = try await admin.send(.get, "/image/v2/images/")
            #expect(empty.status == .notFound, "\(empty.text)")
        }
    }

    @Test("a patch sent as application/json is 415 and changes nothing")
    func patchWrongMediaType() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "kept"}"#)
            let response = try await admin.patch(id, #"[{"op": "replace", "path": "/name", "value": "changed"}]"#, mediaType: "application/json")
            #expect(response.status == .unsupportedMediaType)
            try response.glanceError()
            #expect(try await admin.show(id)["name"] as? String == "kept")
        }
    }

    @Test("patching a read-only or reserved attribute is 403", arguments: [
        "/status", "/checksum", "/size", "/id", "/os_hash_value", "/created_at", "/location", "/deleted",
    ])
    func patchReadOnly(path: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "kept"}"#)
            for op in ["replace", "add", "remove"] {
                let response = try await admin.patch(id, #"[{"op": "\#(op)", "path": "\#(path)", "value": "x"}]"#)
                #expect(response.status == .forbidden, "\(op) \(path) gave \(response.status)")
                try response.glanceError()
            }
            #expect(try await admin.show(id)["status"] as? String == "queued")
        }
    }

    @Test("a patch that fails part-way changes nothing")
    func patchAtomic() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "kept"}"#)
            let response = try await admin.patch(id, """
                [{"op": "replace", "path": "/name", "value": "changed"}, {"op": "add", "path": "/foo", "value": "bar"},
                 {"op": "replace", "path": "/status", "value": "active"}]
                """)
            #expect(response.status == .forbidden)
            let image = try await admin.show(id)
            #expect(image["name"] as? String == "kept")
            #expect(image["foo"] == nil)
        }
    }

    @Test("invalid patch values are 400 and change nothing", arguments: [
        #"[{"op": "replace", "path": "/disk_format", "value": "floppy"}]"#,
        #"[{"op": "add", "path": "/hw_firmware_type", "value": 5}]"#,
        #"[{"op": "add", "path": "/hw_firmware_type", "value": {"nested": "object"}}]"#,
        #"[{"op": "replace", "path": "/min_ram", "value": -1}]"#,
        #"[{"op": "replace", "path": "/min_ram", "value": 1.5}]"#,
        #"[{"op": "replace", "path": "/protected", "value": "yes"}]"#,
        #"[{"op": "replace", "path": "/visibility", "value": "everyone"}]"#,
        #"[{"op": "add", "path": "/expected_sha256", "value": "not-hex"}]"#,
        #"[{"op": "move", "path": "/name", "from": "/x"}]"#,
        #"[{"op": "add", "value": "x"}]"#,
        #"[{"op": "add", "path": "name", "value": "x"}]"#,
        #"[{"op": "add", "path": "/a/b", "value": "x"}]"#,
        #"[{"op": "add", "path": "/foo"}]"#,
        #"{"op": "add", "path": "/foo", "value": "x"}"#,
        #"[{"op": "add", "path": "/foo", "value": "x"}"#,
        "",
    ])
    func patchInvalid(body: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.createImage(#"{"name": "kept", "disk_format": "raw", "container_format": "bare", "min_ram": 512}"#)
            let id = try #require(created["id"] as? String)
            let response = try await admin.patch(id, body)
            #expect(response.status == .badRequest, "\(body) gave \(response.status): \(response.text)")
            try response.glanceError()
            let image = try await admin.show(id)
            #expect(image["disk_format"] as? String == "raw")
            #expect(image["min_ram"] as? Int == 512)
            #expect(image["hw_firmware_type"] == nil)
            #expect(image["protected"] as? Bool == false)
            #expect(image["visibility"] as? String == "shared")
        }
    }

    @Test("replacing or removing a property that does not exist is 409; removing a core attribute is 403")
    func patchMissingProperty() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "x"}"#)
            #expect(try await admin.patch(id, #"[{"op": "replace", "path": "/nope", "value": "x"}]"#).status == .conflict)
            #expect(try await admin.patch(id, #"[{"op": "remove", "path": "/nope"}]"#).status == .conflict)
            #expect(try await admin.patch(id, #"[{"op": "remove", "path": "/visibility"}]"#).status == .forbidden)
        }
    }

    @Test("disk_format cannot change once the image has data")
    func patchFormatAfterUpload() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, Payload.raw(1024))
            let response = try await admin.patch(id, #"[{"op": "replace", "path": "/disk_format", "value": "qcow2"}]"#)
            #expect(response.status == .forbidden)
            #expect(try await admin.show(id)["disk_format"] as? String == "raw")
        }
    }

    // MARK: Tags, deactivation, protection

    @Test("tags are added and removed one by one, without duplicates")
    func tags() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"tags": ["a"]}"#)
            #expect(try await admin.send(.put, "/image/v2/images/\(id)/tags/b").status == .noContent)
            #expect(try await admin.send(.put, "/image/v2/images/\(id)/tags/b").status == .noContent)
            #expect(try await admin.show(id)["tags"] as? [String] == ["a", "b"])
            #expect(try await admin.send(.delete, "/image/v2/images/\(id)/tags/a").status == .noContent)
            #expect(try await admin.show(id)["tags"] as? [String] == ["b"])
            let missing = try await admin.send(.delete, "/image/v2/images/\(id)/tags/a")
            #expect(missing.status == .notFound)
            try missing.glanceError()
            #expect(try await admin.send(.put, "/image/v2/images/\(UUID())/tags/x").status == .notFound)
        }
    }

    @Test("a deactivated image cannot be downloaded by a non-admin until reactivated; only its project or an admin may do either")
    func deactivateReactivate() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let bytes = Payload.raw(3000)
            let id = try await admin.activeImage(#"{"visibility": "public", "disk_format": "raw", "container_format": "bare"}"#, bytes)
            let projectB = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: projectB, projectName: "project-b")

            #expect(try await bob.download(id).bytes == bytes)
            #expect(try await bob.send(.post, "/image/v2/images/\(id)/actions/deactivate").status == .forbidden)
            #expect(try await admin.send(.post, "/image/v2/images/\(id)/actions/deactivate").status == .noContent)
            #expect(try await admin.show(id)["status"] as? String == "deactivated")
            let refused = try await bob.download(id)
            #expect(refused.status == .forbidden)
            try refused.glanceError()
            #expect(try await admin.download(id).bytes == bytes, "an admin may still download a deactivated image")
            // Deactivating twice is allowed, as in Glance.
            #expect(try await admin.send(.post, "/image/v2/images/\(id)/actions/deactivate").status == .noContent)

            #expect(try await admin.send(.post, "/image/v2/images/\(id)/actions/reactivate").status == .noContent)
            #expect(try await admin.show(id)["status"] as? String == "active")
            #expect(try await bob.download(id).bytes == bytes)

            // A member of the owning project may deactivate and reactivate, as in Glance.
            let own = try await bob.activeImage(#"{"disk_format": "raw", "container_format": "bare"}"#, bytes)
            #expect(try await bob.send(.post, "/image/v2/images/\(own)/actions/deactivate").status == .noContent)
            #expect(try await bob.show(own)["status"] as? String == "deactivated")
            #expect(try await bob.send(.post, "/image/v2/images/\(own)/actions/reactivate").status == .noContent)
            #expect(try await bob.show(own)["status"] as? String == "active")
        }
    }

    @Test("a queued image can be neither deactivated nor reactivated")
    func deactivateQueued() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID()
            for action in ["deactivate", "reactivate"] {
                let response = try await admin.send(.post, "/image/v2/images/\(id)/actions/\(action)")
                #expect([.badRequest, .forbidden].contains(response.status), "\(action) gave \(response.status)")
                try response.glanceError()
            }
            #expect(try await admin.show(id)["status"] as? String == "queued")
        }
    }

    @Test("a protected image cannot be deleted until unprotected")
    func protectedImage() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "keep-me", "protected": true}"#)
            let refused = try await admin.send(.delete, "/image/v2/images/\(id)")
            #expect(refused.status == .forbidden)
            try refused.glanceError()
            #expect(try await admin.show(id)["protected"] as? Bool == true)
            #expect(try await admin.patch(id, #"[{"op": "replace", "path": "/protected", "value": false}]"#).status == .ok)
            #expect(try await admin.send(.delete, "/image/v2/images/\(id)").status == .noContent)
            #expect(try await admin.listedIDs() == [])
        }
    }

    @Test("the schemas python-glanceclient reads are served")
    func schemas() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            for name in ["image", "images", "member", "members"] {
                let response = try await admin.send(.get, "/image/v2/schemas/\(name)")
                #expect(response.status == .ok)
                #expect(try response.object()["name"] as? String == name)
            }
            let image = try await admin.send(.get, "/image/v2/schemas/image").object()
            let properties = try #require(image["properties"] as? [String: Any])
            #expect(Set(properties.keys).isSuperset(of: ["id", "name", "status", "visibility", "checksum", "os_hash_value", "disk_format"]))
        }
    }
}
