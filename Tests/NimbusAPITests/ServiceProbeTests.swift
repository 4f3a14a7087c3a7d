import Foundation
import Testing
@testable import Dashboard

/// "Ready" means the guest's service spoke, not that a port accepted: a
/// forward accepts connections for any guest.
@Suite("Service probe")
struct ServiceProbeTests {
    /// A TCP listener on 127.0.0.1 that answers each connection with `greeting` (nil: says nothing).
    final class Listener: @unchecked Sendable {
        let fd: Int32
        let port: Int

        init(greeting: [UInt8]?) throws {
            let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, length) } }
            try #require(bound == 0 && listen(listening, 4) == 0)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listening, $0, &length) } }
            fd = listening
            port = Int(UInt16(bigEndian: address.sin_port))
            Thread {
                let client = accept(listening, nil, nil)
                guard client >= 0 else { return }
                if let greeting { _ = send(client, greeting, greeting.count, Int32(MSG_NOSIGNAL)) }
                sleep(3)
                close(client)
            }.start()
        }

        deinit { close(fd) }
    }

    @Test("an SSH banner counts; a port that accepts and stays silent does not; a closed port does not")
    func probes() async throws {
        let ssh = try Listener(greeting: Array("SSH-2.0-OpenSSH_9.2\r\n".utf8))
        #expect(await ServiceProbe.answers(host: "127.0.0.1", port: ssh.port, protocol: .ssh))
        let silent = try Listener(greeting: nil)
        #expect(!(await ServiceProbe.answers(host: "127.0.0.1", port: silent.port, protocol: .ssh)))
        let rdp = try Listener(greeting: [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 0, 8, 0, 1, 0, 0, 0])
        #expect(await ServiceProbe.answers(host: "127.0.0.1", port: rdp.port, protocol: .rdp))
        let wrong = try Listener(greeting: Array("HTTP/1.1 400 Bad Request\r\n".utf8))
        #expect(!(await ServiceProbe.answers(host: "127.0.0.1", port: wrong.port, protocol: .rdp)))
        #expect(!(await ServiceProbe.answers(host: "127.0.0.1", port: 1, protocol: .ssh)))
    }
}
