import Foundation
import Testing
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// A serial console client over Nimbus's websocket, as a user's tool would
/// be: it keeps everything it received and types what it is told to.
final class SerialWebSocketClient: Sendable {
    enum Outcome: Sendable { case connected, closed, failed(String) }

    /// What the connection's task and the test both touch.
    private final class Shared: Sendable {
        let received = Mutex("")
        let outcome = Mutex<Outcome?>(nil)
    }

    private let shared = Shared()
    private let typing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(url: String) {
        let (keystrokes, typing) = AsyncStream.makeStream(of: String.self)
        self.typing = typing
        let shared = self.shared
        task = Task {
            do {
                var configuration = WebSocketClientConfiguration()
                configuration.additionalHeaders[.secWebSocketProtocol] = "binary"
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test.console")) { inbound, outbound, _ in
                    shared.outcome.withLock { $0 = .connected }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await frame in inbound {
                                let text = String(decoding: frame.data.readableBytesView, as: UTF8.self)
                                shared.received.withLock { $0 += text }
                            }
                        }
                        group.addTask {
                            for await line in keystrokes { try await outbound.write(.binary(ByteBuffer(string: line))) }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
                shared.outcome.withLock { if case .connected? = $0 { $0 = .closed } else { $0 = .failed("closed before connecting") } }
            } catch {
                shared.outcome.withLock { $0 = .failed("\(error)") }
            }
        }
    }

    var text: String { shared.received.withLock { $0 } }
    var state: Outcome? { shared.outcome.withLock { $0 } }

    func type(_ line: String) { typing.yield(line) }

    /// Waits until the output contains `needle` (true) or `seconds` pass (false).
    func waitFor(_ needle: String, seconds: Int = 60) async throws -> Bool {
        for _ in 0..<(seconds * 10) {
            if text.contains(needle) { return true }
            if case .failed? = state { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return text.contains(needle)
    }

    /// Waits until the connection was accepted or refused.
    func settled(seconds: Int = 10) async throws -> Outcome? {
        for _ in 0..<(seconds * 10) {
            if let state { return state }
            try await Task.sleep(for: .milliseconds(100))
        }
        return state
    }

    func close() {
        typing.finish()
        task.cancel()
    }
}

extension OpenStackClient {
    /// Answers the demo installer of `server` through its serial console
    /// websocket, as a person would: install to the disk with `hostname` and
    /// root's SSH `key` (none when empty), let the installer eject its disc
    /// (or not), and reboot into the installed system (or stop at "Press
    /// Enter to reboot.", leaving the reboot to the caller).
    func installDemoOS(_ server: String, hostname: String, key: String = "", ejectFromGuest: Bool = true, reboot: Bool = true) async throws {
        let console = try #require(try json("console", "url", "show", "--serial", server) as? [String: Any])
        let client = SerialWebSocketClient(url: try #require(console["url"] as? String))
        defer { client.close() }
        client.type("yes\r")
        #expect(try await client.waitFor("Hostname [nimbus-demo]:"), "\(client.text.suffix(1000))")
        client.type("\(hostname)\r")
        #expect(try await client.waitFor("SSH public key for root"), "\(client.text.suffix(1000))")
        client.type("\(key)\r")
        #expect(try await client.waitFor("Eject the installation disc now?", seconds: 120), "\(client.text.suffix(1500))")
        client.type(ejectFromGuest ? "yes\r" : "no\r")
        #expect(try await client.waitFor("Press Enter to reboot."), "\(client.text.suffix(1000))")
        guard reboot else { return }
        client.type("\r")
        #expect(try await client.waitFor("Rebooting..."), "\(client.text.suffix(1000))")
    }
}
