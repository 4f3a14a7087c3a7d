import Foundation

/// Holds a VM's serial socket for as long as the VM runs and appends
/// everything the guest prints to a bounded console log: when the log passes
/// `limit` bytes it is rotated to `console.log.1`, so at most twice the limit
/// is kept. Reads on a thread of its own: a guest printing fast never waits
/// on the cooperative pool.
final class SerialConsoleTee: Sendable {
    let socketPath: String
    let logPath: String
    let limit: Int
    private let descriptor = DescriptorBox()

    init(socketPath: String, logPath: String, limit: Int = 1 << 20) {
        self.socketPath = socketPath
        self.logPath = logPath
        self.limit = limit
    }

    /// Connects (retrying while QEMU sets up the socket) and starts copying.
    func start(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        var fd: Int32 = -1
        while fd < 0 {
            fd = Self.connect(socketPath)
            if fd >= 0 { break }
            guard ContinuousClock.now < deadline else {
                throw ComputeError.consoleUnavailable(socketPath)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        descriptor.set(fd)
        let connected = fd
        let thread = Thread { [self] in copy(from: connected) }
        thread.name = "nimbus-serial"
        thread.start()
    }

    /// Stops copying; the socket closes and the thread ends.
    func stop() {
        if let fd = descriptor.take() { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func copy(from fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard var log = Self.openLog(logPath) else { return }
        var size = Int(lseek(log, 0, SEEK_END))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            if size + count > limit {
                close(log)
                rename(logPath, logPath + ".1")
                guard let reopened = Self.openLog(logPath) else { return }
                log = reopened
                size = 0
            }
            _ = buffer.withUnsafeBytes { write(log, $0.baseAddress, count) }
            size += count
        }
        close(log)
    }

    static func openLog(_ path: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        return fd >= 0 ? fd : nil
    }

    static func connect(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return -1
        }
        return fd
    }
}

/// The socket descriptor, handed from the starting task to whoever stops the tee.
private final class DescriptorBox: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var fd: Int32?

    func set(_ value: Int32) {
        lock.lock()
        fd = value
        lock.unlock()
    }

    func take() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        let value = fd
        fd = nil
        return value
    }
}
