import Foundation
import QMP
import Testing

@Suite("Command encoding and typed responses")
struct QMPCommandEncodingTests {
    private func line<C: QMPCommand>(_ command: C, id: UInt64 = 1) throws -> String {
        try QMPRequest.line(name: C.name, arguments: command.arguments, id: id)
    }

    @Test("commands without arguments send none")
    func noArguments() throws {
        #expect(try line(QMPCommands.Cont()) == #"{"execute":"cont","id":1}"#)
        #expect(try line(QMPCommands.Stop(), id: 42) == #"{"execute":"stop","id":42}"#)
        #expect(try line(QMPCommands.SystemPowerdown()) == #"{"execute":"system_powerdown","id":1}"#)
        #expect(try line(QMPCommands.SystemReset()) == #"{"execute":"system_reset","id":1}"#)
        #expect(try line(QMPCommands.Quit()) == #"{"execute":"quit","id":1}"#)
        #expect(try line(QMPCommands.QueryStatus()) == #"{"execute":"query-status","id":1}"#)
        #expect(try line(QMPCommands.QueryBlock()) == #"{"execute":"query-block","id":1}"#)
        #expect(try line(QMPCommands.Capabilities()) == #"{"execute":"qmp_capabilities","id":1}"#)
    }

    @Test("reset actions and boot indexes use QEMU's argument spellings")
    func actions() throws {
        #expect(try line(QMPCommands.SetAction(reboot: "shutdown", shutdown: "pause")) == #"{"execute":"set-action","arguments":{"reboot":"shutdown","shutdown":"pause"},"id":1}"#)
        #expect(try line(QMPCommands.SetAction(reboot: "reset")) == #"{"execute":"set-action","arguments":{"reboot":"reset"},"id":1}"#)
        #expect(
            try line(QMPCommands.SetBootIndex(device: "disk0", index: 2))
                == #"{"execute":"qom-set","arguments":{"path":"/machine/peripheral/disk0","property":"bootindex","value":2},"id":1}"#)
    }

    @Test("media commands use QEMU's argument spellings")
    func media() throws {
        #expect(try line(QMPCommands.Eject(id: "cd0", force: true)) == #"{"execute":"eject","arguments":{"force":true,"id":"cd0"},"id":1}"#)
        #expect(
            try line(QMPCommands.BlockdevChangeMedium(id: "cd0", filename: "/data/blobs/ab/c.iso"))
                == #"{"execute":"blockdev-change-medium","arguments":{"filename":"/data/blobs/ab/c.iso","format":"raw","id":"cd0","read-only-mode":"read-only"},"id":1}"#
        )
        #expect(
            try line(QMPCommands.BlockdevChangeMedium(id: "cd0", filename: "x.qcow2", format: nil, readOnlyMode: .retain, force: true))
                == #"{"execute":"blockdev-change-medium","arguments":{"filename":"x.qcow2","force":true,"id":"cd0","read-only-mode":"retain"},"id":1}"#
        )
    }

    @Test("block jobs: drive-backup keeps its job until dismissed")
    func blockJobs() throws {
        #expect(
            try line(QMPCommands.DriveBackup(jobID: "snap", device: "disk0-drive", target: "/i/s.qcow2", format: "qcow2", targetExists: false))
                == #"{"execute":"drive-backup","arguments":{"auto-dismiss":false,"device":"disk0-drive","format":"qcow2","job-id":"snap","mode":"absolute-paths","sync":"full","target":"/i/s.qcow2"},"id":1}"#
        )
        #expect(
            try line(QMPCommands.DriveBackup(jobID: "snap", device: "disk0-drive", target: "/dev/fdset/3", format: "qcow2", targetExists: true))
                == #"{"execute":"drive-backup","arguments":{"auto-dismiss":false,"device":"disk0-drive","format":"qcow2","job-id":"snap","mode":"existing","sync":"full","target":"/dev/fdset/3"},"id":1}"#
        )
        #expect(try line(QMPCommands.RemoveFD(set: 3)) == #"{"execute":"remove-fd","arguments":{"fdset-id":3},"id":1}"#)
        #expect(try line(QMPCommands.QueryBlockJobs()) == #"{"execute":"query-block-jobs","id":1}"#)
        #expect(try line(QMPCommands.BlockJobDismiss(id: "snap")) == #"{"execute":"block-job-dismiss","arguments":{"id":"snap"},"id":1}"#)
    }

    @Test("input and display commands")
    func input() throws {
        #expect(
            try line(QMPCommands.SendKey(keys: [.qcode("ctrl"), .qcode("alt"), .qcode("delete")], holdTime: 200))
                == #"{"execute":"send-key","arguments":{"hold-time":200,"keys":[{"data":"ctrl","type":"qcode"},{"data":"alt","type":"qcode"},{"data":"delete","type":"qcode"}]},"id":1}"#
        )
        #expect(
            try line(QMPCommands.InputSendEvent(events: [.key(.number(30), down: true), .button("left", down: false), .absolute(axis: "x", value: 100), .relative(axis: "y", value: -3)]))
                == #"{"execute":"input-send-event","arguments":{"events":[{"data":{"down":true,"key":{"data":30,"type":"number"}},"type":"key"},{"data":{"button":"left","down":false},"type":"btn"},{"data":{"axis":"x","value":100},"type":"abs"},{"data":{"axis":"y","value":-3},"type":"rel"}]},"id":1}"#
        )
        #expect(try line(QMPCommands.Screendump(filename: "/tmp/s.png")) == #"{"execute":"screendump","arguments":{"filename":"/tmp/s.png","format":"png"},"id":1}"#)
        #expect(
            try line(QMPCommands.HumanMonitorCommand(commandLine: "hostfwd_add net0 tcp:127.10.0.5:22-:22"))
                == #"{"execute":"human-monitor-command","arguments":{"command-line":"hostfwd_add net0 tcp:127.10.0.5:22-:22"},"id":1}"#
        )
    }

    @Test("raw commands and escaping")
    func raw() throws {
        let arguments: [String: QMPJSON] = ["id": "a\"b", "path": "/x/y", "n": 3, "ok": false, "list": [1, nil]]
        #expect(
            try QMPRequest.line(name: "x-raw", arguments: arguments, id: 9)
                == #"{"execute":"x-raw","arguments":{"id":"a\"b","list":[1,null],"n":3,"ok":false,"path":"/x/y"},"id":9}"#
        )
    }

    @Test("query-status decodes, including states this client does not name")
    func queryStatus() throws {
        let value = try QMPJSON(parsing: Data(#"{"status": "prelaunch", "singlestep": false, "running": false}"#.utf8))
        #expect(try value.decode(QMPStatusInfo.self) == QMPStatusInfo(status: .prelaunch, running: false))
        let odd = try QMPJSON(parsing: Data(#"{"status": "colo", "running": false}"#.utf8))
        #expect(try odd.decode(QMPStatusInfo.self).status.rawValue == "colo")
    }

    @Test("query-block decodes an empty tray drive and one with a medium")
    func queryBlock() throws {
        let json = #"""
            [{"io-status": "ok", "device": "cd0drv", "locked": false, "removable": true, "qdev": "cd0", "tray_open": false, "type": "unknown"},
             {"device": "cd1drv", "locked": true, "removable": true, "qdev": "/machine/peripheral-anon/device[1]", "tray_open": false, "type": "unknown",
              "inserted": {"iops_rd": 0, "ro": true, "drv": "raw", "node-name": "#block123", "file": "/tmp/x.iso", "encrypted": false}}]
            """#
        let devices = try QMPJSON(parsing: Data(json.utf8)).decode([QMPBlockDevice].self)
        #expect(devices.count == 2)
        #expect(devices[0].device == "cd0drv")
        #expect(devices[0].qdev == "cd0")
        #expect(devices[0].trayOpen == false)
        #expect(devices[0].inserted == nil)
        #expect(devices[1].locked)
        #expect(devices[1].inserted?.file == "/tmp/x.iso")
        #expect(devices[1].inserted?.readOnly == true)
        #expect(devices[1].inserted?.driver == "raw")
        #expect(devices[1].inserted?.nodeName == "#block123")
    }

    @Test("HMP output is checked against QEMU's failure texts")
    func humanMonitorFailures() {
        typealias HMP = QMPCommands.HumanMonitorCommand
        #expect(HMP.reportsFailure("Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'\r\n"))
        #expect(HMP.reportsFailure("Invalid host forwarding rule 'tcp:x' (Bad host port)\r\n"))
        #expect(HMP.reportsFailure("unknown command: 'hostfwd_ad'\r\n"))
        #expect(HMP.reportsFailure("host forwarding rule for tcp 127.0.0.1:2222 not found\r\n"))
        #expect(!HMP.reportsFailure(""))
        #expect(!HMP.reportsFailure("host forwarding rule for tcp 127.0.0.1:2222 removed\r\n"))
        #expect(!HMP.reportsFailure("host forwarding rule for tcp 127.0.0.1:2222 not found\r\n", markers: ["could not"]))
    }
}
