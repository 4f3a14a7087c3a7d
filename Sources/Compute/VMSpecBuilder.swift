import Foundation
import NimbusCore
import QEMU

/// Maps a server, its flavor sizes and its image into a `VMSpec`, honouring
/// the image properties that matter (hw_disk_bus, hw_cdrom_bus,
/// hw_firmware_type, hw_machine_type, hw_vif_model).
struct VMSpecBuilder {
    static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let ovmfVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    var accelerator: VMSpec.Accelerator

    /// How the root disk comes to be.
    enum RootDisk {
        /// An installer ISO: a blank disk of the flavor's size plus the ISO as a read-only CD.
        case blank(sizeGiB: Int, iso: String)
        /// A disk image: a qcow2 overlay over the read-only image file.
        case overlay(base: String, format: String)
    }

    func spec(for server: Server, image: Image, rootDisk: RootDisk, paths: InstancePaths) throws -> VMSpec {
        let properties = image.properties
        let diskBus = try bus(properties["hw_disk_bus"], default: .virtio, name: "hw_disk_bus")
        let cdromBus = try bus(properties["hw_cdrom_bus"], default: .sata, name: "hw_cdrom_bus")
        var drives = [Drive(id: "disk0", kind: .disk, bus: diskBus, file: paths.disk, format: "qcow2", bootIndex: 0)]
        if case .blank(_, let iso) = rootDisk {
            // Disk first, CD second: the firmware falls through the blank disk to
            // the installer, and after the install a reboot lands on the disk.
            drives.append(Drive(id: "cd0", kind: .cdrom, bus: cdromBus, file: iso, format: "raw", readOnly: true, bootIndex: 1))
        }
        let firmware: VMSpec.Firmware
        switch properties["hw_firmware_type"] ?? "bios" {
        case "bios": firmware = .bios
        case "uefi": firmware = .uefi(code: Self.ovmfCode, variables: paths.uefiVariables)
        case let other: throw NimbusError.badRequest("Image property hw_firmware_type=\(other) is not supported; use bios or uefi.")
        }
        let machine = properties["hw_machine_type"] ?? "q35"
        guard machine.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw NimbusError.badRequest("Image property hw_machine_type=\(machine) is not a machine type.")
        }
        let model = try vifModel(properties["hw_vif_model"])
        let nic = NIC(
            id: "net0", model: model, mac: Self.mac(for: server.id), network: "10.0.0.0/24", gateway: "10.0.0.1",
            dhcpStart: "10.0.0.15", hostname: Self.hostname(server.name), restrict: true)
        return VMSpec(
            name: server.name.isEmpty ? server.id.rawValue : server.name, uuid: server.id.rawValue, machine: machine,
            accelerator: accelerator, cpus: server.vcpus, memoryMiB: server.ram, firmware: firmware, drives: drives,
            nics: [nic], sockets: VMSpec.Sockets(qmp: paths.qmpSocket, serial: paths.serialSocket, vnc: paths.vncSocket),
            pidFile: paths.pidFile, startPaused: true)
    }

    func bus(_ value: String?, default fallback: Drive.Bus, name: String) throws -> Drive.Bus {
        guard let value else { return fallback }
        guard let bus = Drive.Bus(rawValue: value) else {
            throw NimbusError.badRequest("Image property \(name)=\(value) is not supported; use virtio, sata, scsi or ide.")
        }
        return bus
    }

    func vifModel(_ value: String?) throws -> String {
        switch value ?? "virtio" {
        case "virtio": "virtio-net-pci"
        case "e1000": "e1000"
        case "e1000e": "e1000e"
        case "rtl8139": "rtl8139"
        case "ne2k_pci": "ne2k_pci"
        case let other: throw NimbusError.badRequest("Image property hw_vif_model=\(other) is not supported; use virtio, e1000, e1000e or rtl8139.")
        }
    }

    /// A stable MAC in OpenStack's fa:16:3e prefix, derived from the server id.
    static func mac(for id: ServerID) -> String {
        let hex = id.rawValue.replacingOccurrences(of: "-", with: "")
        let tail = stride(from: 0, to: 6, by: 2).map { offset -> String in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return String(hex[start..<hex.index(start, offsetBy: 2)])
        }
        return "fa:16:3e:" + tail.joined(separator: ":")
    }

    /// A DNS-safe hostname from a server name, as Nova derives one.
    static func hostname(_ name: String) -> String {
        let cleaned = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let trimmed = String(cleaned).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "server" : String(trimmed.prefix(63))
    }
}
