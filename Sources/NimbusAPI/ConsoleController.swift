import Compute
import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import NimbusCore

/// Console URLs and what they open, on Nimbus's own port: the serial console
/// as a websocket (binary frames, subprotocol `binary`, as Nova's serial
/// proxy speaks), QEMU's VNC socket as a websocket for noVNC, and noVNC's
/// pages. The URL's one-time token is the only credential.
public struct ConsoleController: Sendable {
    let compute: ComputeService
    let baseURL: String
    /// Where noVNC's files are (Debian's `novnc` package by default).
    let noVNCDirectory: String

    /// The URL a console token opens, on the API's own host and port.
    static func url(for kind: ConsoleKind, token: String, baseURL: String) -> String {
        switch kind {
        case .serial:
            // `ws://` or `wss://` for the API's scheme.
            let webSocketBase = baseURL.hasPrefix("https://") ? "wss://" + baseURL.dropFirst(8) : "ws://" + baseURL.dropFirst(7)
            return "\(webSocketBase)/console/serial?token=\(token)"
        case .vnc:
            // noVNC connects to `path` on the page's own host and port.
            let path = "console/vnc?token=\(token)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return "\(baseURL)/console/novnc/vnc.html?autoconnect=true&reconnect=false&resize=scale&path=\(path)"
        }
    }

    func addRoutes(to router: Router<NimbusRequestContext>) {
        router.ws("console/serial", shouldUpgrade: { request, _ in try upgrade(request, kind: .serial) }) { inbound, outbound, context in
            guard let grant = takeGrant(context.request) else { return }
            let console = try await compute.serialConsole(for: grant)
            let client = console.attach()
            defer { console.detach(client.id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await chunk in client.output { try await outbound.write(.binary(ByteBuffer(bytes: chunk))) }
                }
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        switch message {
                        case .binary(let bytes): try console.send(Array(buffer: bytes))
                        case .text(let text): try console.send(Array(text.utf8))
                        }
                    }
                }
                // Whichever side ends first (the client leaves, the VM stops) ends both.
                try await group.next()
                group.cancelAll()
            }
        }
        router.ws("console/vnc", shouldUpgrade: { request, _ in try upgrade(request, kind: .vnc) }) { inbound, outbound, context in
            guard let grant = takeGrant(context.request) else { return }
            let socket = try await compute.vncSocket(for: grant)
            let vnc = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socket) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await vnc.executeThenClose { fromVNC, toVNC in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await bytes in fromVNC { try await outbound.write(.binary(bytes)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .binary(let bytes) = message { try await toVNC.write(bytes) }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
        if FileManager.default.fileExists(atPath: noVNCDirectory + "/vnc.html") {
            router.add(middleware: FileMiddleware(noVNCDirectory, urlBasePath: "/console/novnc", searchForIndexHtml: false))
        } else {
            let missing = noVNCDirectory
            router.get("console/novnc/**") { _, _ -> Response in
                throw NimbusError.notFound("noVNC is not installed in \(missing): install Debian's novnc package, or set NIMBUS_NOVNC_DIR to a copy of noVNC.")
            }
        }
    }

    /// A valid, unused token of the right kind upgrades; anything else is a
    /// 401 and opens nothing. `binary` is agreed when the client offers it.
    func upgrade(_ request: Request, kind: ConsoleKind) throws -> RouterShouldUpgrade {
        guard let token = request.uri.queryParameters["token"].map(String.init),
              compute.consoles.redeemForUpgrade(token, kind: kind) != nil
        else { throw NimbusError.unauthorized("The console token is invalid, expired or already used.") }
        let offered = request.headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return .upgrade(offered.contains("binary") ? [.secWebSocketProtocol: "binary"] : [:])
    }

    func takeGrant(_ request: Request) -> ConsoleGrants.Grant? {
        request.uri.queryParameters["token"].flatMap { compute.consoles.take(String($0)) }
    }
}
