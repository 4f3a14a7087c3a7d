/// Splits the byte stream from QEMU into lines, one JSON message per line.
///
/// QEMU ends every message with `\r\n`; a chunk from the socket may hold part
/// of a line, several lines, or both. The framer keeps the unfinished tail,
/// drops the `\r`, skips empty lines, and refuses a line longer than
/// `maximumLineLength` so a broken peer cannot grow memory without bound.
/// Pure: no I/O, tested without sockets.
package struct QMPLineFramer: Sendable {
    /// The longest line accepted, in bytes (without the terminator).
    package let maximumLineLength: Int
    private var pending: [UInt8] = []

    /// Creates a framer. The default limit (16 MiB) is far above any QMP reply.
    package init(maximumLineLength: Int = 16 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// The number of bytes held of an unfinished line.
    package var bufferedByteCount: Int { pending.count }

    /// Adds a chunk and returns the lines it completed, in order.
    ///
    /// - Throws: `QMPError.protocolViolation` when a line exceeds the limit.
    package mutating func append(_ chunk: some Sequence<UInt8>) throws(QMPError) -> [String] {
        var lines: [String] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if !pending.isEmpty {
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                }
            } else {
                guard pending.count < maximumLineLength else {
                    pending.removeAll()
                    throw .protocolViolation("line longer than \(maximumLineLength) bytes")
                }
                pending.append(byte)
            }
        }
        return lines
    }
}
