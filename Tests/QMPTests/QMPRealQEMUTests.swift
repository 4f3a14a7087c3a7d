import Foundation
import QMP
import Testing

/// The client against a real QEMU under TCG (never KVM). Skipped when
/// `qemu-system-x86_64` is not installed (the media test also needs xorriso);
/// CI should install both (Debian: qemu-system-x86, xorriso).
@Suite("QMPClient against real QEMU", .enabled(if: QEMUProcess.isAvailable), .timeLimit(.minutes(5)))
struct QMPRealQEMUTests {
    @Test("paused at start, cont runs, stop emits STOP, reset and powerdown emit events, quit ends QEMU")
    func lifecycle() async throws {
        let qemu = try QEMUProcess()
        defer { qemu.stop() }
        try await qemu.waitForSocket()

        let client = try await QMPClient.connect(socketPath: qemu.socketPath)
        let events = client.events
        #expect(await client.greeting.version.qemu.major >= 7)

        let initial = try await client.execute(.queryStatus)
        #expect(initial.status == .prelaunch)
        #expect(!initial.running)

        try await client.execute(.cont)
        #expect(try await nextEvent(in: events) { $0.name == "RESUME" }?.kind == .resume)
        let running = try await client.execute(.queryStatus)
        #expect(running == QMPStatusInfo(status: .running, running: true))

        try await client.execute(.systemReset)
        #expect(try await nextEvent(in: events) { $0.name == "RESET" }?.kind == .reset(guest: false, reason: "host-qmp-system-reset"))
        try await client.execute(.systemPowerdown)
        #expect(try await nextEvent(in: events) { $0.name == "POWERDOWN" }?.kind == .powerdown)

        try await client.execute(.stop)
        #expect(try await nextEvent(in: events) { $0.name == "STOP" }?.kind == .stop)
        #expect(try await client.execute(.queryStatus).status == .paused)

        try await client.execute(.quit)
        #expect(try await nextEvent(in: events) { $0.name == "SHUTDOWN" }?.kind == .shutdown(guest: false, reason: "host-qmp-quit"))
        let ended = try await withTimeout(.seconds(10)) {
            for await _ in events {}
            return true
        }
        #expect(ended)
        #expect(await qemu.waitForExit())
        await #expect(throws: QMPError.disconnected) { try await client.execute(.queryStatus) }
        await client.close()
    }

    @Test(
        "insert an ISO into an empty CD drive, see the tray move and the medium, then force-eject it",
        .enabled(if: QEMUProcess.canMakeISO)
    )
    func media() async throws {
        let qemu = try QEMUProcess(extraArguments: [
            "-drive", "if=none,id=cd0drv,media=cdrom", "-device", "ide-cd,drive=cd0drv,id=cd0",
        ])
        defer { qemu.stop() }
        let iso = try qemu.makeISO()
        try await qemu.waitForSocket()

        try await QMPClient.withConnection(socketPath: qemu.socketPath) { client in
            let events = client.events
            let empty = try #require(try await client.execute(.queryBlock).first { $0.qdev == "cd0" })
            #expect(empty.device == "cd0drv")
            #expect(empty.removable)
            #expect(empty.trayOpen == false)
            #expect(empty.inserted == nil)

            try await client.execute(.blockdevChangeMedium(id: "cd0", filename: iso))
            let opened = try await nextEvent(in: events) { $0.name == "DEVICE_TRAY_MOVED" }
            let closed = try await nextEvent(in: events) { $0.name == "DEVICE_TRAY_MOVED" }
            #expect(opened?.kind == .deviceTrayMoved(device: "cd0drv", id: "cd0", trayOpen: true))
            #expect(closed?.kind == .deviceTrayMoved(device: "cd0drv", id: "cd0", trayOpen: false))

            let loaded = try #require(try await client.execute(.queryBlock).first { $0.qdev == "cd0" })
            #expect(loaded.inserted?.file == iso)
            #expect(loaded.inserted?.readOnly == true)
            #expect(loaded.inserted?.driver == "raw")
            #expect(loaded.trayOpen == false)

            try await client.execute(.eject(id: "cd0", force: true))
            #expect(try await nextEvent(in: events) { $0.name == "DEVICE_TRAY_MOVED" }?.kind
                == .deviceTrayMoved(device: "cd0drv", id: "cd0", trayOpen: true))
            let ejected = try #require(try await client.execute(.queryBlock).first { $0.qdev == "cd0" })
            #expect(ejected.inserted == nil)
            #expect(ejected.trayOpen == true)

            await #expect(throws: QMPError.self) { try await client.execute(.eject(id: "nope")) }
        }
    }

    @Test(
        "a QEMU running as a user of its own cannot open an ISO or a file by name; lent through the handoff monitor, it inserts the ISO and writes the screen",
        .enabled(if: QEMUProcess.canMakeISO)
    )
    func lentFiles() async throws {
        // As root QEMU drops to a uid nobody uses; otherwise it runs as this user and only the lending is shown.
        let asRoot = getuid() == 0
        let qemu = try QEMUProcess(
            extraArguments: ["-drive", "if=none,id=cd0drv,media=cdrom", "-device", "ide-cd,drive=cd0drv,id=cd0", "-device", "VGA"],
            handoff: true, runAs: asRoot ? "1313472000:1313472000" : nil)
        defer { qemu.stop() }
        let iso = try qemu.makeISO()
        chmod(qemu.directory, 0o700)
        chmod(iso, 0o600)
        try await qemu.waitForSocket()

        try await QMPClient.withConnection(socketPath: qemu.socketPath) { client in
            if asRoot {
                await #expect(throws: QMPError.commandFailed(class: "GenericError", description: "Could not open '\(iso)': Permission denied")) {
                    try await client.execute(.blockdevChangeMedium(id: "cd0", filename: iso))
                }
            }
            let descriptor = open(iso, O_RDONLY | O_CLOEXEC)
            defer { close(descriptor) }
            let set = try QMPFileHandoff.add([descriptor], opaque: "small.iso", socketPath: qemu.handoffSocketPath)
            try await client.execute(.blockdevChangeMedium(id: "cd0", filename: QMPFileHandoff.path(ofSet: set)))
            let loaded = try #require(try await client.execute(.queryBlock).first { $0.qdev == "cd0" })
            #expect(loaded.inserted?.file == QMPFileHandoff.path(ofSet: set))
            #expect(loaded.inserted?.virtualSize == Int64(try FileManager.default.attributesOfItem(atPath: iso)[.size] as! UInt64))
            try await client.execute(.removeFD(set: set))

            let shot = qemu.directory + "/screen.png"
            let file = open(shot, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { close(file) }
            let second = try QMPFileHandoff.add([file], opaque: "screen.png", socketPath: qemu.handoffSocketPath)
            #expect(second != set)
            try await client.execute(.screendump(filename: QMPFileHandoff.path(ofSet: second)))
            try await client.execute(.removeFD(set: second))
            let header = try Data(contentsOf: URL(fileURLWithPath: shot)).prefix(4)
            #expect(Array(header) == [0x89, 0x50, 0x4E, 0x47])
        }
        // A socket with no QEMU behind it is a connection failure, not a hang.
        #expect(throws: QMPError.self) { try QMPFileHandoff.add([0], opaque: "x", socketPath: qemu.directory + "/none.sock") }
    }

    @Test("HMP hostfwd_add succeeds once and reports the duplicate as humanMonitorFailed; send-key and screendump work")
    func humanMonitorAndInput() async throws {
        let qemu = try QEMUProcess(extraArguments: [
            "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0", "-device", "VGA",
        ])
        defer { qemu.stop() }
        try await qemu.waitForSocket()
        let port = Int.random(in: 20000...40000)
        let shot = qemu.directory + "/screen.png"

        try await QMPClient.withConnection(socketPath: qemu.socketPath) { client in
            try await client.humanMonitor("hostfwd_add net0 tcp:127.0.0.1:\(port)-:22")
            do {
                try await client.humanMonitor("hostfwd_add net0 tcp:127.0.0.1:\(port)-:22")
                Issue.record("duplicate forward accepted")
            } catch QMPError.humanMonitorFailed(_, let output) {
                #expect(output.hasPrefix("Could not set up host forwarding rule"))
            }
            let removed = try await client.humanMonitor("hostfwd_remove net0 tcp:127.0.0.1:\(port)")
            #expect(removed.contains("removed"))

            try await client.execute(.sendKey([.qcode("ctrl"), .qcode("alt"), .qcode("delete")], holdTime: 50))
            let keyA: [QMPInputEvent] = [.key(.qcode("a"), down: true), .key(.qcode("a"), down: false)]
            await #expect(throws: QMPError.commandFailed(class: "GenericError", description: "VM not running")) {
                try await client.execute(.inputSendEvent(keyA))
            }
            try await client.execute(.cont)
            try await client.execute(.inputSendEvent(keyA))
            try await client.execute(.screendump(filename: shot))
        }
        let header = try Data(contentsOf: URL(fileURLWithPath: shot)).prefix(4)
        #expect(Array(header) == [0x89, 0x50, 0x4E, 0x47])
    }

    @Test("QEMU serves one QMP client at a time: a second connection gets no greeting")
    func oneClientAtATime() async throws {
        let qemu = try QEMUProcess()
        defer { qemu.stop() }
        try await qemu.waitForSocket()

        let watcher = try await QMPClient.connect(socketPath: qemu.socketPath)
        await #expect(throws: QMPError.timeout(command: "greeting")) {
            try await QMPClient.withConnection(socketPath: qemu.socketPath, timeout: .milliseconds(500)) { _ in }
        }
        #expect(try await watcher.execute(.queryStatus).status == .prelaunch)
        await watcher.close()

        let status = try await QMPClient.withConnection(socketPath: qemu.socketPath) { client in
            try await client.execute(.queryStatus)
        }
        #expect(status.status == .prelaunch)
    }
}
