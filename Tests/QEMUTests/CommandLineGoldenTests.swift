import Foundation
import QEMU
import Testing

/// The QEMU command line for the interesting specs, checked against golden
/// files: a change in launch behaviour is a reviewable diff. Regenerate with
/// `NIMBUS_UPDATE_GOLDEN=1 swift test --filter QEMUTests`.
@Suite("QEMU command lines")
struct CommandLineGoldenTests {
    static let sockets = VMSpec.Sockets(
        qmp: "/d/i/qmp.sock", serial: "/d/i/serial.sock", vnc: "/d/i/vnc.sock", fileHandoff: "/d/i/handoff.sock")
    static let nic = NIC(id: "net0", mac: "fa:16:3e:00:00:01", network: "10.0.0.0/24", gateway: "10.0.0.1", dhcpStart: "10.0.0.5", hostname: "my-instance", restrict: true)

    static func isoInstall(bus: Drive.Bus, cdromBus: Drive.Bus, firmware: VMSpec.Firmware = .bios, machine: String = "q35") -> VMSpec {
        VMSpec(
            name: "my-instance", uuid: "6f1a9e3c-1111-4222-8333-944455556666", machine: machine, cpus: 1, memoryMiB: 512,
            firmware: firmware,
            drives: [
                Drive(id: "disk0", kind: .disk, bus: bus, file: "/d/i/disk.qcow2", format: "qcow2", bootIndex: 0),
                Drive(id: "cd0", kind: .cdrom, bus: cdromBus, file: "/d/blobs/abc", format: "raw", readOnly: true, bootIndex: 1),
            ],
            nics: [nic], sockets: sockets, pidFile: "/d/i/qemu.pid")
    }

    static let tpm = VMSpec.TPM(
        version: .v2_0, model: .crb, stateDirectory: "/d/i/tpm", socket: "/run/n/i/swtpm.sock", pidFile: "/d/i/swtpm.pid",
        logFile: "/d/i/swtpm.log")

    /// Secure Boot with Microsoft's keys, a TPM 2.0 on the CRB interface.
    static var secureBootWithTPM: VMSpec {
        var spec = isoInstall(
            bus: .virtio, cdromBus: .sata,
            firmware: .uefi(code: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", variables: "/d/i/OVMF_VARS.fd", secureBoot: true))
        spec.tpm = tpm
        return spec
    }

    /// Windows under KVM: local-time clock, Nova's timers and Hyper-V enlightenments; a PS/2 mouse only.
    static var windows: VMSpec {
        var spec = isoInstall(bus: .sata, cdromBus: .sata)
        spec.accelerator = .kvm
        spec.clock = .localtime
        spec.hyperV = true
        spec.tablet = false
        spec.tpm = VMSpec.TPM(
            version: .v1_2, model: .tis, stateDirectory: "/d/i/tpm", socket: "/run/n/i/swtpm.sock", pidFile: "/d/i/swtpm.pid",
            logFile: "/d/i/swtpm.log")
        return spec
    }

    /// As Nimbus launches it when it runs as root: QEMU drops to a uid of its own.
    static var ownUser: VMSpec {
        var spec = isoInstall(bus: .virtio, cdromBus: .sata)
        spec.user = VMSpec.HostUser(uid: 1_313_406_976, gid: 1_313_406_976)
        return spec
    }

    static let cases: [(String, VMSpec)] = [
        ("iso-bios-virtio", isoInstall(bus: .virtio, cdromBus: .sata)),
        ("iso-own-user", ownUser),
        ("iso-uefi-virtio", isoInstall(bus: .virtio, cdromBus: .sata, firmware: .uefi(code: "/usr/share/OVMF/OVMF_CODE_4M.fd", variables: "/d/i/OVMF_VARS.fd"))),
        ("iso-secure-boot-tpm", secureBootWithTPM),
        ("windows-kvm", windows),
        ("iso-ide-cdrom-pc", isoInstall(bus: .ide, cdromBus: .ide, machine: "pc")),
        ("iso-scsi", isoInstall(bus: .scsi, cdromBus: .scsi)),
        ("iso-sata-pc", isoInstall(bus: .sata, cdromBus: .sata, machine: "pc")),
        ("qcow2-image", VMSpec(
            name: "web, 1", machine: "q35", accelerator: .kvm, cpus: 2, memoryMiB: 2048,
            drives: [Drive(id: "disk0", kind: .disk, bus: .virtio, file: "/d/i/disk.qcow2", format: "qcow2", bootIndex: 0)],
            nics: [NIC(id: "net0", model: "e1000", mac: "fa:16:3e:00:00:02", network: "10.0.0.0/24", gateway: "10.0.0.1", dhcpStart: "10.0.0.6",
                       forwards: [PortForward(hostAddress: "127.10.0.5", hostPort: 22, guestPort: 22)])],
            sockets: VMSpec.Sockets(qmp: "/d/i/qmp.sock", serial: "/d/i/serial.sock"), pidFile: nil, startPaused: false)),
    ]

    @Test("command lines match their golden files", arguments: cases.map(\.0))
    func golden(name: String) throws {
        let spec = try #require(Self.cases.first { $0.0 == name }?.1)
        try Self.compare(QEMUCommandLine.arguments(for: spec), golden: name, program: "QEMU")
    }

    @Test("swtpm's command lines match their golden files", arguments: [("swtpm-2.0", tpm), ("swtpm-1.2", windows.tpm!)])
    func swtpmGolden(name: String, tpm: VMSpec.TPM) throws {
        try Self.compare(SWTPM.arguments(for: tpm), golden: name, program: "swtpm")
    }

    /// Checks `arguments` against Golden/`golden`.args, first rewriting it when NIMBUS_UPDATE_GOLDEN=1.
    static func compare(_ arguments: [String], golden name: String, program: String) throws {
        let actual = arguments.joined(separator: "\n") + "\n"
        let sourceGolden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name).args")
        if ProcessInfo.processInfo.environment["NIMBUS_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: sourceGolden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: sourceGolden, encoding: .utf8)
        #expect(actual == expected, "\(program) arguments for \(name) changed; review and regenerate the golden file")
    }

    @Test("the CD drive exists without a medium, so a disc can be inserted later")
    func emptyCDDrive() {
        let spec = VMSpec(
            name: "empty", drives: [Drive(id: "cd0", kind: .cdrom, bus: .sata, file: nil)],
            sockets: Self.sockets)
        let arguments = QEMUCommandLine.arguments(for: spec)
        #expect(arguments.contains("if=none,id=cd0-drive,media=cdrom,readonly=on"))
        #expect(arguments.contains("ide-cd,bus=ide.0,drive=cd0-drive,id=cd0"))
    }

    @Test("commas in paths are escaped, so a path cannot inject QEMU options")
    func commasEscaped() {
        let spec = VMSpec(
            name: "x", drives: [Drive(id: "disk0", kind: .disk, bus: .virtio, file: "/tmp/a,b/disk.qcow2", format: "qcow2")],
            sockets: Self.sockets)
        let arguments = QEMUCommandLine.arguments(for: spec)
        #expect(arguments.contains { $0.contains("file=/tmp/a,,b/disk.qcow2,format=qcow2") })
    }
}
