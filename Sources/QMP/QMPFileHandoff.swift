import Foundation

/// Lends QEMU a file Nimbus opened: QMP `add-fd` with the descriptor attached
/// as `SCM_RIGHTS`, on a monitor socket kept for this alone. A QEMU that runs
/// as a user of its own cannot open an ISO inserted later, a screendump's
/// file or a snapshot's target by name; it takes `/dev/fdset/N` instead,
/// wherever QMP takes a file name.
///
/// A socket of its own because the long-lived client's NIO channel carries
/// no descriptors, and QEMU serves one client per monitor. The exchange is
/// a few short lines, blocking, bounded by `timeout` on each read. The fd set
/// outlives this connection while the main client stays connected; release
/// it with `remove-fd` on that client once the command that used it is done.
public enum QMPFileHandoff {
    /// Sends `descriptors` (one file, opened once for each access mode QEMU
    /// will ask for: it takes from a set only a descriptor whose mode is the
    /// one it opens with) to the QEMU listening on `socketPath`, and returns
    /// the fd set QEMU put its copies in. `opaque` is shown by `query-fdsets`.
    public static func add(
        _ descriptors: [Int32], opaque: String, socketPath: String, timeout: Duration = .seconds(5)
    ) throws(QMPError) -> Int {
        var connection = try Connection(socketPath: socketPath, timeout: timeout)
        defer { close(connection.socket) }
        guard case .greeting = try connection.readMessage(awaiting: "greeting") else {
            throw .protocolViolation("no greeting on \(socketPath)")
        }
        try connection.send(#"{"execute":"qmp_capabilities"}"#, passing: nil)
        _ = try connection.readReply(to: "qmp_capabilities")
        var set: Int64?
        do throws(QMPError) {
            for descriptor in descriptors {
                try connection.send(try addFDLine(opaque: opaque, set: set), passing: descriptor)
                guard let added = try connection.readReply(to: "add-fd")["fdset-id"]?.intValue else {
                    throw .protocolViolation("add-fd answered without an fdset-id")
                }
                set = added
            }
        } catch {
            // A set begun and not finished would hold its descriptors until QEMU ends.
            if let set, (try? connection.send(#"{"execute":"remove-fd","arguments":{"fdset-id":\#(set)}}"#, passing: nil)) != nil {
                _ = try? connection.readReply(to: "remove-fd")
            }
            throw error
        }
        guard let set else { throw .protocolViolation("no descriptor to lend") }
        return Int(set)
    }

    static func addFDLine(opaque: String, set: Int64?) throws(QMPError) -> String {
        var arguments: [String: QMPJSON] = ["opaque": .string(opaque)]
        if let set { arguments["fdset-id"] = .int(set) }
        let command: QMPJSON = ["execute": "add-fd", "arguments": .object(arguments)]
        do { return String(decoding: try JSONEncoder().encode(command), as: UTF8.self) } catch {
            throw .protocolViolation("add-fd not encoded: \(error)")
        }
    }

    /// The name QEMU opens fd set `set` by.
    public static func path(ofSet set: Int) -> String { "/dev/fdset/\(set)" }

    private struct Connection {
        let socket: Int32
        let path: String
        private var framer = QMPLineFramer(maximumLineLength: 1 << 20)
        private var lines: [String] = []

        init(socketPath: String, timeout: Duration) throws(QMPError) {
            path = socketPath
            socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard socket >= 0 else { throw .connectionFailed(path: socketPath, errno: errno, description: "socket()") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(socketPath.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(socket)
                throw .connectionFailed(path: socketPath, errno: nil, description: "path too long for a unix socket")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            // Without the bounds a silent QEMU would hold the caller forever.
            guard setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0,
                  setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0
            else {
                let code = errno
                close(socket)
                throw .connectionFailed(path: socketPath, errno: code, description: "no timeout could be set")
            }
            var connected: Int32
            repeat {
                connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            } while connected != 0 && errno == EINTR
            guard connected == 0 else {
                let code = errno
                close(socket)
                throw .connectionFailed(path: socketPath, errno: code, description: String(cString: strerror(code)))
            }
        }

        /// One line, with `descriptor` riding along as ancillary data.
        func send(_ line: String, passing descriptor: Int32?) throws(QMPError) {
            var bytes = Array((line + "\n").utf8)
            // CMSG_SPACE and CMSG_LEN for one descriptor, which Swift does not import as macros.
            let align = { (length: Int) in (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }
            let headerLength = align(MemoryLayout<cmsghdr>.size)
            var control = [UInt8](repeating: 0, count: descriptor == nil ? 0 : headerLength + align(MemoryLayout<Int32>.size))
            if let descriptor {
                control.withUnsafeMutableBytes { raw in
                    var header = cmsghdr()
                    header.cmsg_len = headerLength + MemoryLayout<Int32>.size
                    header.cmsg_level = SOL_SOCKET
                    header.cmsg_type = Int32(SCM_RIGHTS)
                    raw.storeBytes(of: header, as: cmsghdr.self)
                    raw.storeBytes(of: descriptor, toByteOffset: headerLength, as: Int32.self)
                }
            }
            var sent: Int
            repeat {
                sent = bytes.withUnsafeMutableBytes { data in
                    control.withUnsafeMutableBytes { control in
                        var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                        return withUnsafeMutablePointer(to: &vector) { vector in
                            var message = msghdr()
                            message.msg_iov = vector
                            message.msg_iovlen = 1
                            message.msg_control = control.count == 0 ? nil : control.baseAddress
                            message.msg_controllen = control.count
                            return sendmsg(socket, &message, Int32(MSG_NOSIGNAL))
                        }
                    }
                }
            } while sent < 0 && errno == EINTR
            // A line this short goes in one piece on a unix socket, or not at all.
            guard sent == bytes.count else { throw .disconnected }
        }

        /// The value of the reply to `command`; events in between are skipped.
        mutating func readReply(to command: String) throws(QMPError) -> QMPJSON {
            while true {
                switch try readMessage(awaiting: command) {
                case .success(_, let value): return value
                case .failure(_, let errorClass, let description): throw .commandFailed(class: errorClass, description: description)
                case .greeting: throw .protocolViolation("a second greeting on \(path)")
                case .event: continue
                }
            }
        }

        /// The next message; `step` names what was awaited when none comes in time.
        mutating func readMessage(awaiting step: String) throws(QMPError) -> QMPMessage {
            while true {
                if !lines.isEmpty { return try QMPMessage(line: lines.removeFirst()) }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw .timeout(command: step) }
                guard count > 0 else { throw .disconnected }
                lines += try framer.append(chunk[..<count])
            }
        }
    }
}
