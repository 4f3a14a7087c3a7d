import Foundation
import ImageFormats
import Identity
import NimbusCore

extension ImageService {
    /// What the client said the upload must hash to.
    public struct UploadExpectation: Sendable {
        /// From a Content-MD5 header (base64 per RFC 1864, or hex).
        public var md5: String?
        public init(md5: String? = nil) { self.md5 = md5 }
    }

    /// Streams the body into the blob store: hashed, inspected and verified
    /// before the image becomes active. On any failure nothing is kept and
    /// the image is back to `queued`.
    public func upload<Body: AsyncSequence>(
        _ id: String, body: Body, expectation: UploadExpectation, _ auth: AuthContext
    ) async throws -> Image where Body.Element: ByteChunk {
        let current = try modifiable(id, auth)
        return try await receive(current.id, body: body, expectedMD5: try expectation.md5.map(Self.normalizedMD5))
    }

    /// The upload itself, once the caller may write the image.
    func receive<Body: AsyncSequence>(
        _ id: ImageID, body: Body, expectedMD5: String?
    ) async throws -> Image where Body.Element: ByteChunk {
        guard let claimed = try store.updateImage(id: id, { image in
            guard image.diskFormat != nil, image.containerFormat != nil else {
                throw NimbusError.badRequest("Properties disk_format, container_format must be set prior to saving data.")
            }
            guard image.status == .queued else {
                throw NimbusError.conflict("Image status transition from \(image.status.rawValue) to saving is not allowed")
            }
            image.status = .saving
            image.updatedAt = Date()
        }) else { throw NimbusError.notFound("No image found with ID \(id)") }

        let temporary = blobs.temporaryURL()
        do {
            var sink = try UploadSink(url: temporary, alsoSHA256: claimed.properties[ImageAttributes.expectedSHA256] != nil)
            for try await chunk in body {
                chunk.withUnsafeBytes { sink.append($0) }
                try await sink.pass()
            }
            let digests = try await sink.finish()
            try Self.verify(digests, of: claimed, expectedMD5: expectedMD5)
            // An installer says which OS it holds; a few reads of the file just written.
            let advice = claimed.diskFormat == "iso" ? InstallerAdvice.read(iso: temporary) : nil
            var advised: [String: String] = [:]
            guard let image = try store.updateImage(id: claimed.id, { image in
                guard image.status == .saving else {
                    throw NimbusError.conflict("Image \(image.id) changed during the upload.")
                }
                image.status = .active
                image.size = digests.size
                image.virtualSize = Self.virtualSize(digests, format: image.diskFormat)
                image.checksum = digests.md5
                image.osHashAlgo = "sha512"
                image.osHashValue = digests.sha512
                image.blob = digests.sha512
                image.updatedAt = Date()
                if let advice {
                    advised = advice.properties(adding: image.properties)
                    image.properties.merge(advised) { own, _ in own }
                }
            }, alsoInTransaction: { _ in
                try blobs.place(temporary, as: digests.sha512)
            }) else {
                throw NimbusError.notFound("Image \(id) was deleted during the upload.")
            }
            logger.info("image uploaded", metadata: ["image.id": "\(image.id)", "image.size": "\(digests.size)"])
            if !advised.isEmpty {
                logger.info("installer recognised", metadata: [
                    "image.id": "\(image.id)", "properties": "\(advised.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })",
                ])
            }
            return image
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            _ = try? store.updateImage(id: claimed.id) { image in
                if image.status == .saving {
                    image.status = .queued
                    image.updatedAt = Date()
                }
            }
            logger.info("image upload failed", metadata: ["image.id": "\(claimed.id)", "error": "\(error)"])
            throw error
        }
    }

    static func verify(_ digests: UploadDigests, of image: Image, expectedMD5: String?) throws {
        if case .refused(let reason) = digests.inspector.verdict(declaredDiskFormat: image.diskFormat ?? "") {
            throw NimbusError.badRequest(reason)
        }
        if let expectedMD5, expectedMD5 != digests.md5 {
            throw NimbusError.badRequest("The uploaded data has MD5 \(digests.md5), but Content-MD5 expected \(expectedMD5); nothing was stored.")
        }
        if let expected = image.properties[ImageAttributes.expectedSHA512], expected != digests.sha512 {
            throw NimbusError.badRequest("The uploaded data has SHA-512 \(digests.sha512), but the image property \(ImageAttributes.expectedSHA512) expected \(expected); nothing was stored.")
        }
        if let expected = image.properties[ImageAttributes.expectedSHA256], let actual = digests.sha256, expected != actual {
            throw NimbusError.badRequest("The uploaded data has SHA-256 \(actual), but the image property \(ImageAttributes.expectedSHA256) expected \(expected); nothing was stored.")
        }
    }

    /// Formats whose guest-visible size is the file size.
    static func virtualSize(_ digests: UploadDigests, format: String?) -> Int64? {
        switch format {
        case "raw", "iso": digests.size
        default: nil
        }
    }

    /// Content-MD5 is base64 of the digest (RFC 1864); hex is accepted too.
    static func normalizedMD5(_ header: String) throws -> String {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 32, trimmed.allSatisfy(\.isHexDigit) { return trimmed.lowercased() }
        if let data = Data(base64Encoded: trimmed), data.count == 16 {
            return Hex.string(data)
        }
        throw NimbusError.badRequest("Content-MD5 must be the base64 or hex MD5 digest of the data.")
    }

    /// Where to read an image's bytes from.
    public struct StoredData: Sendable {
        public var url: URL
        public var size: Int64
        public var checksum: String?
    }

    public func data(_ id: String, _ auth: AuthContext) throws -> StoredData {
        let image = try self.image(id, auth)
        if image.status == .deactivated, !Policy.isAdmin(auth) {
            throw NimbusError.forbidden("The requested image has been deactivated. Image data download is forbidden.")
        }
        guard image.status == .active || image.status == .deactivated, let blob = image.blob, let size = image.size else {
            throw NimbusError(.noContent, "The requested image has no data.")
        }
        return StoredData(url: try blobs.url(for: blob), size: size, checksum: image.checksum)
    }
}
