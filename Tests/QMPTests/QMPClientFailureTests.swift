import Foundation
import QMP
import Synchronization
import Testing

/// How the client fails, against `FakeQMPServer` on a real unix socket:
/// timeouts, disconnects, cancellation, bad peers, and always closing.
@Suite("QMPClient failure handling against a fake QMP server")
struct QMPClientFailureTests {
    @Test("a command without reply times out, and its late reply does not confuse the next command")
    func timeout() async throws {
        let firstID = Mutex<QMPJSON?>(nil)
        try await FakeQMPServer.with(responder: { request in
            if request["execute"] == "stop" {
                firstID.withLock { $0 = request["id"] }
                return [.silence]
            }
            let late = firstID.withLock { $0 }.map { #"{"return": {}, "id": \#(FakeQMPConnectionHandler.text($0))}"# }
            return [.lines(late.map { [$0] } ?? []), .reply(["status": "paused", "running": false])]
        }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                let started = ContinuousClock.now
                await #expect(throws: QMPError.timeout(command: "stop")) {
                    try await client.execute(.stop, timeout: .milliseconds(200))
                }
                // Far below the 10 s default timeout: the 200 ms one applied (generous for a loaded machine).
                #expect(ContinuousClock.now - started < .seconds(8))
                let status = try await client.execute(.queryStatus)
                #expect(status.status == .paused)
            }
        }
    }

    @Test("a disconnect fails every waiting command with disconnected and finishes the events")
    func disconnect() async throws {
        try await FakeQMPServer.with(responder: { request in
            request["execute"] == "system_powerdown" ? [.disconnect] : [.silence]
        }) { server in
            let client = try await QMPClient.connect(socketPath: server.path)
            let waiting = Task { try await client.execute(.queryBlock) }
            while server.requests.count < 2 {
                try await Task.sleep(for: .milliseconds(5))
            }
            await #expect(throws: QMPError.disconnected) {
                try await client.execute(.systemPowerdown)
            }
            await #expect(throws: QMPError.disconnected) { try await waiting.value }
            let events = client.events
            let ended = try await withTimeout(.seconds(5)) {
                for await _ in events {}
                return true
            }
            #expect(ended)
            #expect(await !client.isConnected)
            await #expect(throws: QMPError.disconnected) { try await client.execute(.cont) }
            await client.close()
        }
    }

    @Test("withConnection closes the socket when the body throws")
    func closesOnThrow() async throws {
        struct BodyFailed: Error {}
        try await FakeQMPServer.with { server in
            await #expect(throws: BodyFailed.self) {
                try await QMPClient.withConnection(socketPath: server.path) { _ in throw BodyFailed() }
            }
            #expect(await server.waitForClosedConnections(1))
        }
    }

    @Test("withConnection closes the socket when its task is cancelled")
    func closesOnCancel() async throws {
        try await FakeQMPServer.with(responder: { _ in [.silence] }) { server in
            let path = server.path
            let task = Task {
                try await QMPClient.withConnection(socketPath: path) { client in
                    try await client.execute(.queryStatus, timeout: .seconds(60))
                }
            }
            while server.requests.count < 2 {
                try await Task.sleep(for: .milliseconds(5))
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(await server.waitForClosedConnections(1))
        }
    }

    @Test("a cancelled command leaves the client usable")
    func cancelledCommand() async throws {
        try await FakeQMPServer.with(responder: { request in
            request["execute"] == "stop" ? [.silence] : [.reply([:])]
        }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                let stop = Task { try await client.execute(.stop) }
                while server.requests.count < 2 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                stop.cancel()
                await #expect(throws: CancellationError.self) { try await stop.value }
                try await client.execute(.cont)
            }
        }
    }

    @Test("no greeting is a greeting timeout, and the socket is closed")
    func noGreeting() async throws {
        try await FakeQMPServer.with(greets: false) { server in
            await #expect(throws: QMPError.timeout(command: "greeting")) {
                try await QMPClient.withConnection(socketPath: server.path, timeout: .milliseconds(200)) { _ in }
            }
            #expect(await server.waitForClosedConnections(1))
        }
    }

    @Test("a missing socket is connectionFailed with ENOENT")
    func missingSocket() async throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/absent.sock"
        await #expect(throws: QMPError.connectionFailed(path: path, errno: ENOENT, description: "")) {
            do {
                try await QMPClient.withConnection(socketPath: path) { _ in }
            } catch QMPError.connectionFailed(let failedPath, let code, _) {
                throw QMPError.connectionFailed(path: failedPath, errno: code, description: "")
            }
        }
    }

    @Test("a socket path too long for a unix address is connectionFailed without errno")
    func overlongPath() async throws {
        let path = "/tmp/" + String(repeating: "x", count: 120) + "/qmp.sock"
        do {
            try await QMPClient.withConnection(socketPath: path) { _ in }
            Issue.record("connected to an impossible path")
        } catch QMPError.connectionFailed(let failedPath, let code, _) {
            #expect(failedPath == path)
            #expect(code == nil)
        }
    }

    @Test("garbage from the server is a protocol violation for the waiter")
    func garbage() async throws {
        try await FakeQMPServer.with(responder: { _ in [.lines(["this is not json"])] }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                await #expect(throws: QMPError.protocolViolation("not JSON: this is not json")) {
                    try await client.execute(.cont)
                }
            }
            #expect(await server.waitForClosedConnections(1))
        }
    }
}
