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

/// Writes an upload to a file while hashing and inspecting it. Bytes are
/// gathered into blocks; each block is written here while its digests are
/// computed on other cores, one task per digest, and the next block fills
/// meanwhile. Memory is two blocks plus one chunk and the inspector's head.
struct UploadSink: ~Copyable {
    /// Large enough that handing a block to the hashing tasks costs nothing
    /// beside hashing it; small enough that two of them are a small part of
    /// the server's memory.
    static let blockSize = 4 << 20

    let url: URL
    private let descriptor: Int32
    private var block: [UInt8] = []
    /// The digests of every block before the current one, once this task finishes.
    private var hashing: Task<(UploadHashes, [UInt8]), Never>
    private(set) var inspector = ImageInspector()
    private(set) var size: Int64 = 0

    init(url: URL, alsoSHA256: Bool) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw NimbusError(.internalError, "The image data could not be stored.", cause: POSIXErrorCode(rawValue: errno).map { POSIXError($0) })
        }
        let hashes = UploadHashes(sha256: alsoSHA256 ? SHA256() : nil)
        hashing = Task { (hashes, []) }
        block.reserveCapacity(Self.blockSize)
    }

    deinit {
        close(descriptor)
    }

    /// Takes a chunk of the body; `pass()` then moves a full block on.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        // As typed bytes, so the append is one copy rather than a loop over bytes.
        bytes.withMemoryRebound(to: UInt8.self) { block.append(contentsOf: $0) }
        inspector.consume(bytes)
        size += Int64(bytes.count)
    }

    /// Writes and hashes the current block once it is full.
    mutating func pass() async throws {
        if block.count >= Self.blockSize { try await flush() }
    }

    private mutating func flush() async throws {
        guard !block.isEmpty else { return }
        let full = block
        let (hashes, spare) = await hashing.value
        hashing = Task.detached { (await hashes.updated(with: full), full) }
        try write(full)
        // The block two rounds back, no longer shared: refilled without a new allocation.
        block = spare
        block.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
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
        }
    }

    /// The digests of everything appended, once the bytes are on disk: a blob
    /// renamed into place before it is durable could survive a power loss empty.
    consuming func finish() async throws -> UploadDigests {
        try await flush()
        let (hashes, _) = await hashing.value
        guard fsync(descriptor) == 0 else {
            throw NimbusError(.internalError, "The image data could not be stored.", cause: POSIXErrorCode(rawValue: errno).map { POSIXError($0) })
        }
        return UploadDigests(
            size: size,
            md5: Hex.string(hashes.md5.finalize()),
            sha512: Hex.string(hashes.sha512.finalize()),
            sha256: hashes.sha256.map { Hex.string($0.finalize()) },
            inspector: inspector)
    }
}

/// The running digests of an upload; each block updates them in parallel.
///
/// Unchecked: swift-crypto's hash states are copy-on-write values that it
/// does not mark Sendable. Each state here is passed from one task to the
/// next and mutated by one task at a time (each digest by its own task), so
/// no two threads ever mutate one state.
struct UploadHashes: @unchecked Sendable {
    var md5 = Insecure.MD5()
    var sha512 = SHA512()
    var sha256: SHA256?

    func updated(with block: [UInt8]) async -> UploadHashes {
        async let md5 = Self.offThePool { var hashes = self; hashes.md5 = Self.update(hashes.md5, with: block); return hashes }
        async let sha256 = Self.offThePool { var hashes = self; hashes.sha256 = hashes.sha256.map { Self.update($0, with: block) }; return hashes }
        var next = await Self.offThePool { var hashes = self; hashes.sha512 = Self.update(hashes.sha512, with: block); return hashes }
        next.md5 = await md5.md5
        next.sha256 = await sha256.sha256
        return next
    }

    /// Runs on a Dispatch thread, outside Swift's cooperative pool: that pool
    /// has a thread per core, and two digests filling it would leave none to
    /// receive and write the next block.
    static func offThePool(_ work: @escaping @Sendable () -> UploadHashes) async -> UploadHashes {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    static func update<H: HashFunction>(_ hash: H, with block: [UInt8]) -> H {
        var hash = hash
        block.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash
    }
}

struct UploadDigests {
    var size: Int64
    var md5: String
    var sha512: String
    var sha256: String?
    var inspector: ImageInspector
}
