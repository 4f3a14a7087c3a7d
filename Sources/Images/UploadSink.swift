import Crypto
import Foundation
import ImageFormats
import NimbusCore

/// A chunk of request body bytes; the HTTP layer adapts its buffer type to this.
public protocol ByteChunk: Sendable {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Data: ByteChunk {}
extension Array: ByteChunk where Element == UInt8 {}

/// Writes an upload to a file while hashing and inspecting it, one chunk at
/// a time: memory use is one chunk plus the inspector's bounded head.
struct UploadSink: ~Copyable {
    let url: URL
    private let descriptor: Int32
    private var md5 = Insecure.MD5()
    private var sha512 = SHA512()
    private var sha256: SHA256?
    private(set) var inspector = ImageInspector()
    private(set) var size: Int64 = 0

    init(url: URL, alsoSHA256: Bool) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw NimbusError(.internalError, "The image data could not be stored.", cause: POSIXErrorCode(rawValue: errno).map { POSIXError($0) })
        }
        if alsoSHA256 { sha256 = SHA256() }
    }

    deinit {
        close(descriptor)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        md5.update(bufferPointer: bytes)
        sha512.update(bufferPointer: bytes)
        sha256?.update(bufferPointer: bytes)
        inspector.consume(bytes)
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw NimbusError(
                    code == ENOSPC ? .payloadTooLarge : .internalError,
                    code == ENOSPC ? "There is not enough space to store the image data." : "The image data could not be stored.",
                    cause: POSIXErrorCode(rawValue: code).map { POSIXError($0) })
            }
            offset += written
        }
        size += Int64(bytes.count)
    }

    /// The digests of everything appended, once the bytes are on disk: a blob
    /// renamed into place before it is durable could survive a power loss empty.
    consuming func finish() throws -> UploadDigests {
        guard fsync(descriptor) == 0 else {
            throw NimbusError(.internalError, "The image data could not be stored.", cause: POSIXErrorCode(rawValue: errno).map { POSIXError($0) })
        }
        return UploadDigests(
            size: size,
            md5: Self.hex(md5.finalize()),
            sha512: Self.hex(sha512.finalize()),
            sha256: sha256.map { Self.hex($0.finalize()) },
            inspector: inspector)
    }

    static func hex(_ digest: some Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

struct UploadDigests {
    var size: Int64
    var md5: String
    var sha512: String
    var sha256: String?
    var inspector: ImageInspector
}
