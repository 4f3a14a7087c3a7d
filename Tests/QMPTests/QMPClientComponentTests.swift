import Foundation
import QMP
import Synchronization
import Testing

/// The client against `FakeQMPServer` on a real unix socket.
@Suite("QMPClient against a fake QMP server")
struct QMPClientComponentTests {
    @Test("handshake reads the greeting and sends qmp_capabilities first")
    func handshake() async throws {
        let log = RecordingExchangeLog()
        try await FakeQMPServer.with { server in
            let version = try await QMPClient.withConnection(socketPath: server.path, log: log) { client in
                await client.greeting.version.qemu
            }
            #expect(version == .init(major: 7, minor: 2, micro: 0))
            #expect(server.requests.first?["execute"] == "qmp_capabilities")
            #expect(server.requests.first?["id"]?.intValue != nil)
            #expect(log.recorded.first?.hasPrefix(#"<- {"QMP""#) == true)
            #expect(log.recorded.dropFirst().first?.hasPrefix(#"-> {"execute":"qmp_capabilities""#) == true)
            #expect(log.recorded.count == 3)
        }
    }

    @Test("a command round trip decodes the typed response")
    func roundTrip() async throws {
        try await FakeQMPServer.with(responder: { request in
            request["execute"] == "query-status" ? [.reply(["status": "running", "running": true, "singlestep": false])] : [.reply([:])]
        }) { server in
            let status = try await QMPClient.withConnection(socketPath: server.path) { client in
                try await client.execute(.cont)
                return try await client.execute(.queryStatus)
            }
            #expect(status == QMPStatusInfo(status: .running, running: true))
            #expect(server.requests.map { $0["execute"] } == ["qmp_capabilities", "cont", "query-status"])
            let ids = server.requests.compactMap { $0["id"]?.intValue }
            #expect(Set(ids).count == 3)
        }
    }

    @Test("an error reply throws commandFailed with QEMU's class and description")
    func errorReply() async throws {
        try await FakeQMPServer.with(responder: { _ in
            [.error(class: "DeviceNotFound", description: "Device 'cd9' not found")]
        }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                await #expect(throws: QMPError.commandFailed(class: "DeviceNotFound", description: "Device 'cd9' not found")) {
                    try await client.execute(.eject(id: "cd9"))
                }
            }
        }
    }

    @Test("replies arriving out of order reach the right commands")
    func outOfOrder() async throws {
        let held = Mutex<QMPJSON?>(nil)
        try await FakeQMPServer.with(responder: { request in
            if request["execute"] == "first" {
                held.withLock { $0 = request["id"] }
                return [.silence]
            }
            let firstID = held.withLock { $0 } ?? nil
            return [.reply("second-result"), .lines([#"{"return": "first-result", "id": \#(FakeQMPConnectionHandler.text(firstID))}"#])]
        }) { server in
            let client = try await QMPClient.connect(socketPath: server.path)
            let first = Task { try await client.execute(raw: "first") }
            while !server.requests.contains(where: { $0["execute"] == "first" }) {
                try await Task.sleep(for: .milliseconds(5))
            }
            let second = try await client.execute(raw: "second")
            #expect(second == "second-result")
            #expect(try await first.value == "first-result")
            await client.close()
        }
    }

    @Test("events reach the event stream, in order, with typed kinds")
    func events() async throws {
        let stopEvent = #"{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "STOP"}"#
        try await FakeQMPServer.with(responder: { request in
            request["execute"] == "stop" ? [.lines([stopEvent]), .reply([:])] : [.reply([:])]
        }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                try await client.execute(.stop)
                server.broadcast(#"{"timestamp": {"seconds": 1700000001, "microseconds": 0}, "event": "DEVICE_TRAY_MOVED", "data": {"device": "cd0drv", "id": "cd0", "tray-open": true}}"#)
                var iterator = client.events.makeAsyncIterator()
                let stop = await iterator.next()
                let tray = await iterator.next()
                #expect(stop?.kind == .stop)
                #expect(stop?.timestamp.seconds == 1_700_000_000)
                #expect(tray?.kind == .deviceTrayMoved(device: "cd0drv", id: "cd0", trayOpen: true))
            }
        }
    }

    @Test("humanMonitor turns a failure text into humanMonitorFailed")
    func humanMonitor() async throws {
        try await FakeQMPServer.with(responder: { request in
            let line = request["arguments"]?["command-line"]?.stringValue ?? ""
            return line.contains("2222")
                ? [.reply("Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'\r\n")]
                : [.reply("")]
        }) { server in
            try await QMPClient.withConnection(socketPath: server.path) { client in
                let output = try await client.humanMonitor("hostfwd_add tcp:127.0.0.1:2200-:22")
                #expect(output.isEmpty)
                await #expect(throws: QMPError.humanMonitorFailed(
                    commandLine: "hostfwd_add tcp:127.0.0.1:2222-:22",
                    output: "Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'"
                )) {
                    try await client.humanMonitor("hostfwd_add tcp:127.0.0.1:2222-:22")
                }
                let raw = try await client.execute(.humanMonitorCommand("hostfwd_add tcp:127.0.0.1:2222-:22"))
                #expect(raw.hasPrefix("Could not"))
            }
        }
    }

    @Test("the file exchange log writes both directions with timestamps")
    func fileLog() async throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logPath = directory + "/qmp.log"
        try await FakeQMPServer.with { server in
            let log = try QMPFileExchangeLog(path: logPath)
            try await QMPClient.withConnection(socketPath: server.path, log: log) { client in
                try await client.execute(.cont)
            }
        }
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].contains(#" <- {"QMP""#))
        #expect(lines[3].hasSuffix(#"-> {"execute":"cont","id":2}"#))
        #expect(lines[0].first?.isNumber == true)
    }
}
