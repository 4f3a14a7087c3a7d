import Foundation
import NimbusCore
import QEMU

/// Maps a server, its flavor sizes and its image into a `VMSpec`, with the
/// hardware its image properties and flavor extra specs ask for (`GuestHardware`).
struct VMSpecBuilder {
    /// The root disk's device id; its backend is `disk0-drive`.
    static let rootDiskID = "disk0"

    /// Debian's OVMF: the plain build, and the Secure Boot build with
    /// Microsoft's keys enrolled in its variables (what Windows and shim want).
    static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let ovmfVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd"
    static let ovmfSecureBootCode = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd"
    static let ovmfSecureBootVariables = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

    /// The variable store a server's own copy starts from.
    static func variablesTemplate(secureBoot: Bool) -> String {
        secureBoot ? ovmfSecureBootVariables : ovmfVariables
    }

    var accelerator: VMSpec.Accelerator

    /// What a rescued server boots from, ahead of its own disks (Nova's stable device rescue).
    enum RescueMedia {
        case cdrom(iso: String)
        case disk(overlay: String)
    }

    /// One NIC: a port's MAC and fixed IP, and its subnet.
    struct NICPlan {
        var portId: PortID
        var mac: String
        var cidr: String
        var gateway: String?
        var address: String
    }

    /// The VM for `server`: its root disk, its CD drives with `media` (the
    /// ISO file in each drive that holds one), the rescue medium first while
    /// rescued, the config drive, and one NIC per port. `boot: .cdrom`
    /// puts the CD drives ahead of the disk for the first boot only.
    func spec(
        for server: Server, image: Image, media: [String: String] = [:], rescue: RescueMedia? = nil, configDrive: String? = nil,
        nics plans: [NICPlan], paths: InstancePaths, boot: ServerLifecycle.BootDevice = .disk
    ) throws -> VMSpec {
        let hardware = try GuestHardware(server: server, image: image)
        let diskBus = hardware.diskBus
        let cdromBus = hardware.cdromBus
        // A rescue medium boots first; the server's own disks follow in their usual order.
        let first = rescue == nil ? 0 : 1
        var drives: [Drive] = []
        switch rescue {
        case .cdrom(let iso)?:
            drives.append(Drive(id: "rescue0", kind: .cdrom, bus: cdromBus, file: iso, format: "raw", readOnly: true, bootIndex: 0))
        case .disk(let overlay)?:
            drives.append(Drive(id: "rescue0", kind: .disk, bus: diskBus, file: overlay, format: "qcow2", bootIndex: 0))
        case nil:
            break
        }
        // Disk first, CDs next: the firmware falls through the blank disk to
        // the installer, and after the install a reboot lands on the disk. A
        // drive whose disc was ejected is there, empty, for the next one.
        var usual = [Self.rootDiskID: first]
        for (index, drive) in server.drives.enumerated() { usual[drive.id] = first + 1 + index }
        var launch = usual
        if boot == .cdrom {
            // Once from CD: the drives keep their order, ahead of the disk.
            for (index, drive) in server.drives.enumerated() { launch[drive.id] = first + index }
            launch[Self.rootDiskID] = first + server.drives.count
        }
        drives.append(Drive(id: Self.rootDiskID, kind: .disk, bus: diskBus, file: paths.disk, format: "qcow2", bootIndex: launch[Self.rootDiskID]))
        for drive in server.drives {
            drives.append(Drive(
                id: drive.id, kind: .cdrom, bus: cdromBus, file: media[drive.id], format: "raw", readOnly: true,
                bootIndex: launch[drive.id]))
        }
        if let configDrive {
            // Never booted from: no boot index.
            drives.append(Drive(id: "config0", kind: .cdrom, bus: cdromBus, file: configDrive, format: "raw", readOnly: true))
        }
        let firmware: VMSpec.Firmware = switch hardware.firmware {
        case .bios: .bios
        case .uefi(let secureBoot):
            .uefi(code: secureBoot ? Self.ovmfSecureBootCode : Self.ovmfCode, variables: paths.uefiVariables, secureBoot: secureBoot)
        }
        let model = hardware.vifModel
        // restrict=on: the guest reaches nothing on the host or beyond through
        // QEMU's gateway until access rules open it.
        let nics = plans.enumerated().map { index, plan in
            let gateway = plan.gateway ?? Self.firstHost(plan.cidr)
            return NIC(
                id: Self.netdevID(index), model: model, mac: plan.mac, network: plan.cidr, gateway: gateway, dhcpStart: plan.address,
                dns: Self.resolverAddress(plan.cidr, gateway: gateway, guest: plan.address),
                hostname: Self.hostname(server.name), restrict: true)
        }
        var spec = VMSpec(
            name: server.name.isEmpty ? server.id.rawValue : server.name, uuid: server.id.rawValue, machine: hardware.machine,
            accelerator: accelerator, cpus: server.vcpus, memoryMiB: server.ram, firmware: firmware, drives: drives,
            nics: nics, sockets: VMSpec.Sockets(
                qmp: paths.qmpSocket, serial: paths.serialSocket, vnc: paths.vncSocket, fileHandoff: paths.fileHandoffSocket),
            pidFile: paths.pidFile, startPaused: true)
        if launch != usual { spec.bootIndexesAfterFirstBoot = usual }
        if hardware.windows {
            spec.clock = .localtime
            spec.hyperV = accelerator == .kvm
        }
        spec.tablet = hardware.tablet
        spec.tpm = hardware.tpm.map {
            VMSpec.TPM(
                version: $0.version, model: $0.model, stateDirectory: paths.tpmState, socket: paths.tpmSocket, pidFile: paths.tpmPidFile,
                logFile: paths.tpmLog)
        }
        return spec
    }

    /// The QEMU netdev id of the server's `index`th NIC, in port order.
    static func netdevID(_ index: Int) -> String { "net\(index)" }

    /// The first host address of a CIDR, for a subnet without a gateway
    /// (QEMU's user network needs an address for itself).
    /// QEMU puts its DNS proxy on the network's .3 and refuses to start when
    /// that is the guest's or the gateway's address, which Neutron may well hand
    /// out. Then the next host address that is neither is used; nil keeps QEMU's default.
    static func resolverAddress(_ cidr: String, gateway: String, guest: String) -> String? {
        guard let subnet = IPv4Subnet(cidr, strict: false), let hosts = subnet.hosts else { return nil }
        let taken: Set<String> = [gateway, guest]
        let standard = IPv4Address(subnet.network.value &+ 3)
        guard hosts.contains(standard), taken.contains("\(standard)") else { return nil }
        // Two addresses are taken, so one of the next two, or of the first two, is free.
        let candidates = [standard.value + 1, standard.value + 2, hosts.lowerBound.value, hosts.lowerBound.value + 1].map(IPv4Address.init)
        return candidates.first { hosts.contains($0) && !taken.contains("\($0)") }.map { "\($0)" }
    }

    static func firstHost(_ cidr: String) -> String {
        let base = cidr.split(separator: "/").first.map(String.init) ?? cidr
        var octets = base.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return base }
        octets[3] += 1
        return octets.map(String.init).joined(separator: ".")
    }

    /// A DNS-safe hostname from a server name, as Nova derives one.
    static func hostname(_ name: String) -> String {
        Server.hostname(name)
    }
}
