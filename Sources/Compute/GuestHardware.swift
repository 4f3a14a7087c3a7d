import Foundation
import NimbusCore
import QEMU

/// The virtual hardware a server gets, read once from its image's
/// properties and its flavor's extra specs, with Nova's names and Nova's
/// rules: checked when the server is created (a 400 that says why) and
/// read again at each launch.
struct GuestHardware: Equatable {
    enum Firmware: Equatable {
        case bios
        case uefi(secureBoot: Bool)
    }

    var firmware: Firmware
    var machine: String
    var diskBus: Drive.Bus
    var cdromBus: Drive.Bus
    var vifModel: String
    /// `os_type=windows`: the clock in local time, Hyper-V enlightenments.
    var windows: Bool
    var tablet: Bool
    var tpm: TPMDevice?

    struct TPMDevice: Equatable {
        var version: VMSpec.TPM.Version
        var model: VMSpec.TPM.Model
    }

    /// The CD drives' bus without hw_cdrom_bus: SATA, which every OS installer knows.
    static let defaultCDROMBus: Drive.Bus = .sata

    init(image: [String: String], flavor: [String: String]) throws {
        diskBus = try Self.bus(image["hw_disk_bus"], default: .virtio, name: "hw_disk_bus")
        cdromBus = try Self.bus(image["hw_cdrom_bus"], default: Self.defaultCDROMBus, name: "hw_cdrom_bus")
        vifModel = try Self.vifModel(image["hw_vif_model"])
        machine = image["hw_machine_type"] ?? "q35"
        guard machine.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw NimbusError.badRequest("Image property hw_machine_type=\(machine) is not a machine type.")
        }
        windows = image["os_type"] == "windows"
        switch image["hw_pointer_model"] {
        case nil, "usbtablet": tablet = true
        case "ps2mouse": tablet = false
        case let other?: throw NimbusError.badRequest("Image property hw_pointer_model=\(other) is not supported; use usbtablet or ps2mouse.")
        }

        let secureBoot = try Self.unique(flavor: "os:secure_boot", image: "os_secure_boot", flavor, image)
        switch (image["hw_firmware_type"], secureBoot) {
        case (_, let policy?) where !["required", "optional", "disabled"].contains(policy):
            throw NimbusError.badRequest("Invalid secure boot policy '\(policy)'; use required, optional or disabled.")
        case ("bios", "required"):
            throw NimbusError.badRequest(
                "Secure Boot (os_secure_boot=required) needs UEFI firmware, but the image asks for hw_firmware_type=bios; set hw_firmware_type=uefi or leave it out.")
        case (nil, "required"), ("uefi", "required"), ("uefi", "optional"):
            // Nimbus's OVMF always has a Secure Boot build, so optional means on.
            firmware = .uefi(secureBoot: true)
        case (nil, _), ("bios", _):
            firmware = .bios
        case ("uefi", _):
            firmware = .uefi(secureBoot: false)
        case (let other?, _):
            throw NimbusError.badRequest("Image property hw_firmware_type=\(other) is not supported; use bios or uefi.")
        }
        if firmware == .uefi(secureBoot: true), !Self.isQ35(machine) {
            throw NimbusError.badRequest(
                "Secure Boot needs the q35 machine type (its firmware runs in SMM), but the image asks for hw_machine_type=\(machine).")
        }

        tpm = nil
        if let requested = try Self.unique(flavor: "hw:tpm_version", image: "hw_tpm_version", flavor, image) {
            guard let version = VMSpec.TPM.Version(rawValue: requested) else {
                throw NimbusError.badRequest("Invalid TPM version '\(requested)'; swtpm gives 1.2 or 2.0.")
            }
            let model = try Self.unique(flavor: "hw:tpm_model", image: "hw_tpm_model", flavor, image) ?? VMSpec.TPM.Model.tis.rawValue
            guard let model = VMSpec.TPM.Model(rawValue: model) else {
                throw NimbusError.badRequest("Invalid TPM model '\(model)'; use tpm-tis or tpm-crb.")
            }
            if model == .crb, version != .v2_0 { throw NimbusError.badRequest("TPM model tpm-crb is only valid with TPM version 2.0.") }
            tpm = TPMDevice(version: version, model: model)
        }
    }

    /// A server's hardware: its image's properties with the server's own
    /// choices over them, and the flavor's extra specs it was made with.
    init(server: Server, image: Image) throws {
        try self.init(image: image.properties.merging(server.imageOverrides) { _, chosen in chosen }, flavor: server.flavorExtraSpecs)
    }

    /// A setting the flavor and the image may both make: as in Nova, they
    /// must agree when both do.
    static func unique(flavor key: String, image property: String, _ flavor: [String: String], _ image: [String: String]) throws -> String? {
        switch (flavor[key], image[property]) {
        case (let fromFlavor?, let fromImage?) where fromFlavor != fromImage:
            throw NimbusError.badRequest(
                "The flavor's \(key)=\(fromFlavor) and the image's \(property)=\(fromImage) disagree; remove one or make them the same.")
        case (let fromFlavor?, _): return fromFlavor
        case (nil, let fromImage): return fromImage
        }
    }

    static func bus(_ value: String?, default fallback: Drive.Bus, name: String) throws -> Drive.Bus {
        guard let value else { return fallback }
        guard let bus = Drive.Bus(rawValue: value) else {
            throw NimbusError.badRequest("Image property \(name)=\(value) is not supported; use virtio, sata, scsi or ide.")
        }
        return bus
    }

    static func vifModel(_ value: String?) throws -> String {
        switch value ?? "virtio" {
        case "virtio": "virtio-net-pci"
        case "e1000": "e1000"
        case "e1000e": "e1000e"
        case "rtl8139": "rtl8139"
        case "ne2k_pci": "ne2k_pci"
        case let other: throw NimbusError.badRequest("Image property hw_vif_model=\(other) is not supported; use virtio, e1000, e1000e or rtl8139.")
        }
    }

    static func isQ35(_ machine: String) -> Bool {
        machine == "q35" || machine.hasPrefix("pc-q35")
    }
}
