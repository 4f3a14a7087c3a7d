import Foundation

/// A `QMPExchangeLog` that appends each line, with a UTC timestamp and its
/// direction, to a file: `2025-01-31T12:00:00.123Z -> {"execute":"cont","id":2}`.
///
/// Meant for an instance's `qmp.log`. Each line is one `write(2)` to a file
/// opened with `O_APPEND`, so several clients may share a file without
/// interleaving within a line. The file is never truncated or rotated here.
public final class QMPFileExchangeLog: QMPExchangeLog {
    private let descriptor: Int32

    /// Opens (creating if needed, mode 0600) `path` for appending.
    ///
    /// - Throws: `POSIXError` when the file cannot be opened.
    public init(path: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Appends one line.
    public func record(_ direction: QMPExchangeDirection, line: String) {
        let stamp = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let text = "\(stamp) \(direction.rawValue) \(line)\n"
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }  // a full disk must not break the VM's control path
            offset += written
        }
    }
}
