import ArgumentParser
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL

/// `nimbus console SERVER`: the server's serial console in this terminal,
/// through the same websocket URL `openstack console url show --serial`
/// gives, so it works against a remote Nimbus too.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach this terminal to a server's serial console (Ctrl-] detaches).",
        discussion: "Credentials come from OS_CLOUD and clouds.yaml, or from OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME, as for the openstack client.")

    @Argument(help: "The server's name or ID.")
    var server: String

    @Flag(name: .long, help: "Print the console log and exit instead of attaching.")
    var log = false

    /// Ctrl-]: telnet's and virsh's way out.
    static let detachKey: UInt8 = 0x1D

    func run() async throws {
        let client: ComputeClient
        let id: String
        do {
            client = try await ComputeClient.signIn(try CloudCredentials.resolve())
            id = try await client.serverID(server)
        } catch {
            throw ValidationError("\(error)")
        }
        if log {
            let output = try await client.action(id, .consoleOutput(length: nil))
            FileHandle.standardOutput.write(Data(((output["output"] as? String) ?? "").utf8))
            return
        }
        let console = try await client.action(id, .legacyConsole(.serial, type: "serial"))
        guard let url = (console["console"] as? [String: Any])?["url"] as? String else {
            throw ValidationError("Nimbus gave no serial console URL for \(server).")
        }
        let terminal = RawTerminal()
        terminal.enable()
        defer {
            terminal.restore()
            FileHandle.standardError.write(Data("\r\nDetached from \(server).\r\n".utf8))
        }
        FileHandle.standardError.write(Data("Connected to \(server)'s serial console. Ctrl-] detaches.\r\n".utf8))
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders[.secWebSocketProtocol] = "binary"
        var tls = client.transport.tls
        if tls != nil, let host = URLComponents(string: url)?.host, Self.isIPAddress(host) {
            // TLS may not name an IP address as the server (SNI), and this client
            // checks the name it sends. The chain is still checked against the
            // cloud's own CA, the only one trusted here, and the HTTPS request
            // that gave this URL checked the address against the certificate.
            configuration.sniHostname = "nimbus"
            tls?.certificateVerification = .noHostnameVerification
        }
        var logger = Logger(label: "nimbus.console")
        logger.logLevel = .critical
        let keystrokes = Self.keystrokes()
        try await WebSocketClient.connect(
            url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await frame in inbound {
                        let bytes = Array(frame.data.readableBytesView)
                        bytes.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                    }
                }
                group.addTask {
                    for await bytes in keystrokes { try await outbound.write(.binary(ByteBuffer(bytes: bytes))) }
                }
                // The guest went away, or the user detached: either ends the session.
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// What the user types, until Ctrl-] or the end of input. A thread of
    /// its own blocks on the terminal, never the cooperative pool.
    /// Whether a URL's host is an IPv4 or IPv6 address (bracketed or not), not a name.
    static func isIPAddress(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }

    static func keystrokes() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                let typed = buffer[0..<count]
                if let detach = typed.firstIndex(of: detachKey) {
                    if detach > 0 { continuation.yield(Array(typed[..<detach])) }
                    break
                }
                continuation.yield(Array(typed))
            }
            continuation.finish()
        }
        reader.name = "nimbus-console-input"
        reader.start()
        return stream
    }
}

/// The terminal in raw mode while attached (keys go to the guest as typed,
/// Ctrl-C included), and exactly as it was afterwards.
final class RawTerminal: @unchecked Sendable {
    // Written once by enable(), read by restore(), both on the command's task.
    private var saved: termios?

    func enable() {
        guard isatty(STDIN_FILENO) == 1 else { return }
        var attributes = termios()
        guard tcgetattr(STDIN_FILENO, &attributes) == 0 else { return }
        saved = attributes
        cfmakeraw(&attributes)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &attributes)
    }

    func restore() {
        guard var saved else { return }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
    }
}
