import Foundation
import Synchronization

/// Holds a VM's serial socket for as long as the VM runs. Everything the
/// guest prints is appended to a bounded console log (rotated to
/// `console.log.1` past `limit` bytes, so at most twice the limit is kept)
/// and handed to every attached client; clients' keystrokes go to the guest.
///
/// Reads on a thread of its own, so a guest printing fast never waits on the
/// cooperative pool, and never on a client: each client has a bounded queue,
/// and one that falls too far behind is disconnected instead of stalling the
/// guest or the others.
public final class SerialConsole: Sendable {
    let socketPath: String
    let logPath: String
    let limit: Int
    /// Chunks (of up to 4 KiB) a client may fall behind before it is dropped.
    let clientQueueLimit: Int
    private let descriptor = Mutex<Int32?>(nil)
    private let clients = Mutex<Clients>(Clients())
    /// What the guest printed last, replayed to a client as it attaches so
    /// it sees the prompt on the screen rather than a blank terminal.
    let replayLimit: Int

    /// The attached clients, and the recent output they are shown first;
    /// one lock, so a chunk reaches each client exactly once.
    struct Clients {
        var streams: [UInt64: AsyncStream<[UInt8]>.Continuation] = [:]
        var recent: [UInt8] = []
    }
    private let nextClient = Atomic<UInt64>(0)
    private let input = Mutex(())
    /// Keystrokes accepted but not yet written, and the most that may wait.
    private let queuedInput = Mutex(0)
    let inputLimit = 1 << 16
    private let writer = DispatchQueue(label: "nimbus-serial-input")

    init(socketPath: String, logPath: String, limit: Int = 1 << 20, clientQueueLimit: Int = 1024, replayLimit: Int = 8192) {
        self.socketPath = socketPath
        self.logPath = logPath
        self.limit = limit
        self.clientQueueLimit = clientQueueLimit
        self.replayLimit = replayLimit
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
        descriptor.withLock { $0 = fd }
        let connected = fd
        let thread = Thread { [self] in copy(from: connected) }
        thread.name = "nimbus-serial"
        thread.start()
    }

    /// Stops copying; the socket closes, the thread ends and clients are let go.
    func stop() {
        // Under the input lock, as the reader's close is: the descriptor is
        // still this console's when it is shut down, never a reused one.
        input.withLock { _ in
            if let fd = descriptor.withLock({ $0.take() }) { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// A client's view of the console: the last lines the guest printed
    /// (up to `replayLimit` bytes), then what it prints from now on. The
    /// stream ends when the VM stops, when `detach` is called, or when the
    /// client fell more than `clientQueueLimit` chunks behind.
    public func attach() -> (id: UInt64, output: AsyncStream<[UInt8]>) {
        let id = nextClient.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(clientQueueLimit))
        continuation.onTermination = { [weak self] _ in self?.detach(id) }
        clients.withLock { clients in
            if !clients.recent.isEmpty { continuation.yield(clients.recent) }
            clients.streams[id] = continuation
        }
        if descriptor.withLock({ $0 == nil }) { continuation.finish() }
        return (id, stream)
    }

    public func detach(_ id: UInt64) {
        clients.withLock { $0.streams.removeValue(forKey: id) }?.finish()
    }

    /// Types `bytes` into the guest's serial port. Never blocks: the bytes
    /// join a bounded queue that a writer of its own drains, in order, as
    /// fast as the guest reads. A guest that stops reading fills the queue,
    /// and then `send` refuses more instead of pinning a thread.
    public func send(_ bytes: [UInt8]) throws {
        guard descriptor.withLock({ $0 != nil }) else { throw ComputeError.notRunning }
        guard !bytes.isEmpty else { return }
        let accepted = queuedInput.withLock { queued in
            guard queued + bytes.count <= inputLimit else { return false }
            queued += bytes.count
            return true
        }
        guard accepted else { throw ComputeError.consoleInputFull }
        writer.async { [self] in
            writeAll(bytes)
            queuedInput.withLock { $0 -= bytes.count }
        }
    }

    /// Writes without blocking; while the guest's side is full, waits for
    /// room in short polls, and gives up once the console is closed.
    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // Under the input lock: the reader closes the descriptor under
            // it too, so a write never reaches a reused descriptor.
            let step: (written: Int, fd: Int32?) = input.withLock { _ in
                guard let fd = descriptor.withLock({ $0 }) else { return (-1, nil) }
                let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                return (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : written, fd)
            }
            guard let fd = step.fd, step.written >= 0 else { return }
            if step.written == 0 {
                var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&waiting, 1, 100)
            }
            offset += step.written
        }
    }

    private func copy(from fd: Int32) {
        defer {
            // Under the input lock: a send in progress finishes before the
            // descriptor goes (and could be reused by another file).
            input.withLock { _ in
                descriptor.withLock { $0 = nil }
                close(fd)
            }
            let leaving = clients.withLock { clients in
                defer { clients.streams.removeAll() }
                return clients.streams
            }
            for client in leaving.values { client.finish() }
        }
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
            fanOut(Array(buffer[0..<count]))
        }
        close(log)
    }

    private func fanOut(_ chunk: [UInt8]) {
        let current = clients.withLock { clients in
            clients.recent.append(contentsOf: chunk)
            if clients.recent.count > replayLimit {
                // Keep whole lines: start after the first line break past the cut.
                var start = clients.recent.count - replayLimit
                if let newline = clients.recent[start...].firstIndex(of: 10) { start = newline + 1 }
                clients.recent.removeFirst(start)
            }
            return clients.streams
        }
        for (id, client) in current {
            if case .dropped = client.yield(chunk) { detach(id) }
        }
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
