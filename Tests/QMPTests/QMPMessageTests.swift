import QMP
import Testing

@Suite("Message classification and events")
struct QMPMessageTests {
    @Test("greeting")
    func greeting() throws {
        let line = #"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2"}, "capabilities": ["oob"]}}"#
        guard case .greeting(let value) = try QMPMessage(line: line) else {
            Issue.record("not a greeting")
            return
        }
        let greeting = try value.decode(QMPGreeting.self)
        #expect(greeting == QMPGreeting(major: 7, minor: 2, micro: 22, package: "Debian 1:7.2", capabilities: ["oob"]))
    }

    @Test("success and error replies keep their id")
    func replies() throws {
        #expect(try QMPMessage(line: #"{"return": {"running": true}, "id": 4}"#) == .success(id: 4, value: ["running": true]))
        #expect(
            try QMPMessage(line: #"{"id": 5, "error": {"class": "DeviceNotFound", "desc": "Device 'x' not found"}}"#)
                == .failure(id: 5, errorClass: "DeviceNotFound", description: "Device 'x' not found")
        )
        #expect(try QMPMessage(line: #"{"return": "text\r\n"}"#) == .success(id: nil, value: "text\r\n"))
    }

    @Test("events carry name, timestamp and data")
    func event() throws {
        let line = #"{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}"#
        guard case .event(let event) = try QMPMessage(line: line) else {
            Issue.record("not an event")
            return
        }
        #expect(event.name == "SHUTDOWN")
        #expect(event.timestamp == .init(seconds: 1_700_000_000, microseconds: 250_000))
        #expect(event.timestamp.date?.timeIntervalSince1970 == 1_700_000_000.25)
        #expect(event.kind == .shutdown(guest: true, reason: "guest-shutdown"))
    }

    @Test("an event without data gets an empty object")
    func eventWithoutData() throws {
        let message = try QMPMessage(line: #"{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}"#)
        #expect(message == .event(QMPEvent(name: "STOP", timestamp: .init(seconds: 1, microseconds: 0), data: [:])))
    }

    @Test(
        "lines that are not QMP messages are protocol violations",
        arguments: ["not json", "[1, 2]", #"{"hello": 1}"#, #""QMP""#]
    )
    func violations(line: String) {
        #expect(throws: QMPError.self) { try QMPMessage(line: line) }
    }

    @Test("typed event kinds")
    func kinds() {
        #expect(QMPEvent(name: "RESET", data: ["guest": false, "reason": "host-qmp-system-reset"]).kind
            == .reset(guest: false, reason: "host-qmp-system-reset"))
        #expect(QMPEvent(name: "STOP").kind == .stop)
        #expect(QMPEvent(name: "RESUME").kind == .resume)
        #expect(QMPEvent(name: "POWERDOWN").kind == .powerdown)
        #expect(QMPEvent(name: "DEVICE_TRAY_MOVED", data: ["device": "cd0drv", "id": "cd0", "tray-open": true]).kind
            == .deviceTrayMoved(device: "cd0drv", id: "cd0", trayOpen: true))
        #expect(QMPEvent(name: "DEVICE_TRAY_MOVED", data: ["device": "cd0drv"]).kind == .other("DEVICE_TRAY_MOVED"))
        #expect(QMPEvent(name: "BLOCK_JOB_COMPLETED").kind == .other("BLOCK_JOB_COMPLETED"))
        #expect(QMPEvent(name: "GUEST_PANICKED", data: ["action": "pause"]).kind == .guestPanicked)
        #expect(QMPEvent(name: "SHUTDOWN").kind == .shutdown(guest: false, reason: nil))
    }
}
