import Foundation
import NimbusCore

/// Content-addressed image bytes: `blobs/<sha512>`, written once, read-only.
///
/// Uploads go to `blobs/.incoming/` on the same filesystem and are renamed
/// into place only when complete and verified, so a broken upload never
/// leaves a half image under a real name.
public struct BlobStore: Sendable {
    public let directory: URL
    var incoming: URL { directory.appendingPathComponent(".incoming") }

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".incoming"), withIntermediateDirectories: true)
    }

    /// A fresh path for an upload in progress.
    func temporaryURL() -> URL {
        incoming.appendingPathComponent(UUID().uuidString.lowercased())
    }

    /// Where a blob lives. Names are hashes we computed ourselves; anything
    /// else is refused so no path is ever built from user input.
    public func url(for name: String) throws -> URL {
        guard Self.isValidName(name) else {
            throw NimbusError(.internalError, "Image data is unavailable.", cause: BlobNameError(name: name))
        }
        return directory.appendingPathComponent(name)
    }

    /// Moves a verified upload into place. When the content is already
    /// stored the upload is dropped and the existing copy is shared.
    func place(_ temporary: URL, as name: String) throws {
        let target = try url(for: name)
        if FileManager.default.fileExists(atPath: target.path) {
            try? FileManager.default.removeItem(at: temporary)
            return
        }
        guard rename(temporary.path, target.path) == 0 else {
            throw NimbusError(.internalError, "The image data could not be stored.", cause: POSIXErrorCode(rawValue: errno).map { POSIXError($0) })
        }
        chmod(target.path, 0o444)
    }

    func remove(_ name: String) throws {
        let target = try url(for: name)
        try? FileManager.default.removeItem(at: target)
    }

    /// Removes leftovers of uploads that were interrupted by a crash.
    public func sweepIncoming() {
        let leftovers = (try? FileManager.default.contentsOfDirectory(at: incoming, includingPropertiesForKeys: nil)) ?? []
        for file in leftovers { try? FileManager.default.removeItem(at: file) }
    }

    static func isValidName(_ name: String) -> Bool {
        name.utf8.count == 128 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

struct BlobNameError: Error {
    var name: String
}
