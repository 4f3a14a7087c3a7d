import Foundation
import NIOCore
import NIOPosix
import QMP
import Synchronization

/// A scripted QMP server on a real unix socket, for component tests.
///
/// It greets each client (unless told not to), answers `qmp_capabilities`
/// itself, records every request, and asks `responder` what to do with the rest.
final class FakeQMPServer: Sendable {
    /// What the server does with one request.
    enum Action: Sendable {
        /// `{"return": value, "id": id}`.
        case reply(QMPJSON)
        /// `{"error": {"class": ..., "desc": ...}, "id": id}`.
        case error(class: String, description: String)
        /// Send these lines as they are (events, garbage, replies to other ids).
        case lines([String])
        /// Say nothing.
        case silence
        /// Close the connection.
        case disconnect
    }

    let directory: String
    let path: String
    private let serverChannel: any Channel
    private let state: FakeQMPServerState

    private init(directory: String, path: String, serverChannel: any Channel, state: FakeQMPServerState) {
        self.directory = directory
        self.path = path
        self.serverChannel = serverChannel
        self.state = state
    }

    /// Starts a server on a socket in a new temporary directory.
    static func start(
        greets: Bool = true,
        version: (Int, Int, Int) = (7, 2, 0),
        responder: @escaping @Sendable (QMPJSON) -> [Action] = { _ in [.reply([:])] }
    ) async throws -> FakeQMPServer {
        let directory = try TemporaryDirectory.make()
        let path = directory + "/qmp.sock"
        let greeting = greets
            ? #"{"QMP": {"version": {"qemu": {"micro": \#(version.2), "minor": \#(version.1), "major": \#(version.0)}, "package": "fake"}, "capabilities": ["oob"]}}"#
            : nil
        let state = FakeQMPServerState()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let handler = FakeQMPConnectionHandler(greeting: greeting, state: state, responder: responder)
                    try child.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        return FakeQMPServer(directory: directory, path: path, serverChannel: channel, state: state)
    }

    /// Every request received, in order, including `qmp_capabilities`.
    var requests: [QMPJSON] { state.snapshot.requests }
    /// Connections accepted so far.
    var acceptedCount: Int { state.snapshot.accepted }
    /// Connections that have closed so far.
    var closedCount: Int { state.snapshot.closed }

    /// Sends `line` to every open connection (e.g. an unsolicited event).
    func broadcast(_ line: String) {
        for channel in state.snapshot.connections {
            channel.writeAndFlush(ByteBuffer(string: line + "\r\n"), promise: nil)
        }
    }

    /// Closes every open connection.
    func dropConnections() {
        for channel in state.snapshot.connections {
            channel.close(promise: nil)
        }
    }

    /// Waits until `count` connections have closed, for at most `timeout`.
    func waitForClosedConnections(_ count: Int, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if closedCount >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return closedCount >= count
    }

    /// Stops listening, closes connections, removes the directory.
    func shutdown() async {
        dropConnections()
        try? await serverChannel.close().get()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a fresh server and always shuts it down.
    @discardableResult
    static func with<R: Sendable>(
        greets: Bool = true,
        responder: @escaping @Sendable (QMPJSON) -> [Action] = { _ in [.reply([:])] },
        _ body: (FakeQMPServer) async throws -> R
    ) async throws -> R {
        let server = try await start(greets: greets, responder: responder)
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}

/// What a `FakeQMPServer` and its connection handlers share.
final class FakeQMPServerState: Sendable {
    struct Snapshot {
        var requests: [QMPJSON] = []
        var connections: [any Channel] = []
        var accepted = 0
        var closed = 0
    }

    private let mutex = Mutex(Snapshot())

    var snapshot: Snapshot { mutex.withLock { $0 } }

    func accepted(_ channel: any Channel) {
        mutex.withLock {
            $0.accepted += 1
            $0.connections.append(channel)
        }
    }

    func closed(_ channel: any Channel) {
        mutex.withLock { state in
            state.closed += 1
            state.connections.removeAll { $0 === channel }
        }
    }

    func received(_ request: QMPJSON) {
        mutex.withLock { $0.requests.append(request) }
    }
}
