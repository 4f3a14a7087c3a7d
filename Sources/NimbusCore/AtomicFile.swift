import Foundation

/// Files written whole or not at all: a reader (or a restart after a crash)
/// sees the old content or the new, never part of it, and never with a mode
/// wider than asked for, even for a moment.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url` created with `mode`,
    /// flushes it to disk, renames it over `url` and flushes the directory.
    public static func write(_ data: Data, to url: URL, mode: mode_t) throws {
        let temporary = url.path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        var closed = false
        defer { if !closed { close(descriptor) } }
        // The umask may have narrowed the mode; it may not widen it.
        guard fchmod(descriptor, mode) == 0 else { throw failure("set the mode of", temporary) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw failure("write", temporary) }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw failure("flush", temporary) }
        closed = true
        guard close(descriptor) == 0 else { throw failure("close", temporary) }
        guard rename(temporary, url.path) == 0 else {
            let error = failure("rename over", url.path)
            unlink(temporary)
            throw error
        }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func failure(_ what: String, _ path: String) -> NimbusError {
        NimbusError(.internalError, "Could not \(what) \(path): \(String(cString: strerror(errno)))")
    }
}
