import Foundation

/// A file read in chunks, as an upload body: an image made on this machine
/// (a server's snapshot) enters the image service the way a client's upload does.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = Data
    let url: URL
    let chunkSize: Int

    public init(url: URL, chunkSize: Int = 1 << 20) {
        self.url = url
        self.chunkSize = chunkSize
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(handle: try? FileHandle(forReadingFrom: url), chunkSize: chunkSize, path: url.path)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let chunkSize: Int
        let path: String

        public mutating func next() async throws -> Data? {
            guard let handle else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty {
                try? handle.close()
                return nil
            }
            return chunk
        }
    }
}
