import Foundation
import NimbusCore
import QEMU
import Testing
@testable import Compute

/// What Compute asks QEMU for, from a server, its image and its ports,
/// checked against golden files: a change in boot order, buses, rescue or
/// firmware is a reviewable diff. Regenerate with
/// `NIMBUS_UPDATE_GOLDEN=1 swift test --filter VMSpecBuilderGoldenTests`.
@Suite("VM specs from servers")
struct VMSpecBuilderGoldenTests {
    static let serverID = ServerID(rawValue: "6f1a9e3c-1111-4222-8333-944455556666")
    static let paths = InstancePaths(
        server: serverID, dataDirectory: URL(fileURLWithPath: "/d"), runtimeDirectory: URL(fileURLWithPath: "/run/n"))
    static let iso = "/d/blobs/installer"
    static let nic = VMSpecBuilder.NICPlan(
        portId: PortID(rawValue: "port-1"), mac: "fa:16:3e:00:00:01", cidr: "10.0.0.0/24", gateway: "10.0.0.1", address: "10.0.0.5")
    static let secondNIC = VMSpecBuilder.NICPlan(
        portId: PortID(rawValue: "port-2"), mac: "fa:16:3e:00:00:02", cidr: "192.168.7.0/24", gateway: nil, address: "192.168.7.20")

    static func server(_ name: String = "My Instance", drives: [CDDrive], extraSpecs: [String: String] = [:]) -> Server {
        let flavor = Flavor(
            id: FlavorID(rawValue: "1"), name: "m1.tiny", vcpus: 1, ram: 512, disk: 1, extraSpecs: extraSpecs,
            createdAt: Date(timeIntervalSince1970: 0))
        var server = Server(
            id: serverID, name: name, projectId: ProjectID(rawValue: "p"), userId: UserID(rawValue: "u"), imageId: nil,
            flavor: flavor, now: Date(timeIntervalSince1970: 0))
        server.drives = drives
        return server
    }

    static func image(_ properties: [String: String] = [:]) -> Image {
        var image = Image(id: ImageID(rawValue: "0b0e0d0c-0000-4000-8000-000000000001"), owner: nil, now: Date(timeIntervalSince1970: 0))
        image.diskFormat = "iso"
        image.properties = properties
        return image
    }

    static let installer = [CDDrive(id: "cd0", imageId: ImageID(rawValue: "0b0e0d0c-0000-4000-8000-000000000001"))]

    struct Case: Sendable {
        var image: Image
        /// The server's drives, and the files of the discs in them.
        var drives: [CDDrive] = []
        var media: [String: String] = [:]
        var rescue: VMSpecBuilder.RescueMedia?
        var configDrive: String?
        var nics: [VMSpecBuilder.NICPlan]
        var extraSpecs: [String: String] = [:]
        var accelerator: VMSpec.Accelerator = .tcg
    }

    static let cases: [String: Case] = [
        // The installer ISO: blank disk first, the CD second, on SeaBIOS.
        "server-iso-install": Case(image: image(), drives: installer, media: ["cd0": iso], nics: [nic]),
        // After the disc was ejected: the installed disk, and the drive, empty.
        "server-installed-disk": Case(image: image(), drives: [CDDrive(id: "cd0", imageId: nil)], nics: [nic]),
        // Rescued from an ISO: the rescue CD boots first, the server's disk and CD follow.
        "server-rescue-iso": Case(image: image(), drives: installer, media: ["cd0": iso], rescue: .cdrom(iso: "/d/blobs/rescue"), nics: [nic]),
        // Rescued from a disk image, through its overlay.
        "server-rescue-disk": Case(image: image(), rescue: .disk(overlay: paths.rescueDisk), nics: [nic]),
        // UEFI with the server's own variable store, SATA disk, IDE CD on the pc machine.
        "server-uefi-pc": Case(
            image: image(["hw_firmware_type": "uefi", "hw_disk_bus": "sata", "hw_cdrom_bus": "ide", "hw_machine_type": "pc"]),
            drives: installer, media: ["cd0": iso], nics: [nic]),
        // A config drive (never booted from) and two NICs, one on a subnet without a gateway, e1000.
        "server-config-drive-two-nics": Case(
            image: image(["hw_vif_model": "e1000"]), configDrive: paths.configDrive, nics: [nic, secondNIC]),
        // Windows 11's needs, under KVM: Secure Boot (UEFI implied), a TPM 2.0 on CRB, local time, Hyper-V.
        "server-windows-secure-boot-tpm-kvm": Case(
            image: image(["os_type": "windows", "os_secure_boot": "required", "hw_tpm_version": "2.0", "hw_tpm_model": "tpm-crb", "hw_disk_bus": "sata"]),
            drives: installer, media: ["cd0": iso], nics: [nic], accelerator: .kvm),
        // The same under TCG: no Hyper-V enlightenments (TCG refuses some), the clock still local.
        "server-windows-secure-boot-tpm-tcg": Case(
            image: image(["os_type": "windows", "os_secure_boot": "required", "hw_tpm_version": "2.0", "hw_tpm_model": "tpm-crb", "hw_disk_bus": "sata"]),
            drives: installer, media: ["cd0": iso], nics: [nic]),
        // A TPM 1.2 (TIS, the default model) from the flavor's extra specs, and no tablet.
        "server-flavor-tpm-ps2mouse": Case(
            image: image(["hw_pointer_model": "ps2mouse"]), drives: installer, media: ["cd0": iso], nics: [nic],
            extraSpecs: ["hw:tpm_version": "1.2"]),
    ]

    @Test("specs match their golden command lines", arguments: cases.keys.sorted())
    func golden(name: String) throws {
        let scenario = try #require(Self.cases[name])
        let spec = try VMSpecBuilder(accelerator: scenario.accelerator).spec(
            for: Self.server(drives: scenario.drives, extraSpecs: scenario.extraSpecs), image: scenario.image, media: scenario.media, rescue: scenario.rescue,
            configDrive: scenario.configDrive, nics: scenario.nics, paths: Self.paths)
        let actual = QEMUCommandLine.arguments(for: spec).joined(separator: "\n") + "\n"
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name).args")
        if ProcessInfo.processInfo.environment["NIMBUS_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(actual == expected, "the QEMU command line for \(name) changed; review it and regenerate the golden file")
    }

    @Test("image properties Nimbus cannot honour are a 400 that names them", arguments: [
        ["hw_disk_bus": "floppy"], ["hw_cdrom_bus": "usb"], ["hw_firmware_type": "coreboot"], ["hw_vif_model": "virtio-legacy"],
        ["hw_machine_type": "q35,accel=kvm"],
    ])
    func refusedProperties(_ properties: [String: String]) throws {
        let error = try #require(throws: NimbusError.self) {
            try VMSpecBuilder(accelerator: .tcg).spec(
                for: Self.server(drives: Self.installer), image: Self.image(properties), media: ["cd0": Self.iso], nics: [Self.nic],
                paths: Self.paths)
        }
        #expect(error.code == .badRequest)
        #expect(error.message.contains(properties.keys.first!))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var image: [String: String]
        var flavor: [String: String] = [:]
        var says: String
        var testDescription: String { says }
    }

    @Test("hardware Nimbus cannot give is a 400 at create that says why", arguments: [
        Refusal(image: ["hw_firmware_type": "bios", "os_secure_boot": "required"], says: "needs UEFI firmware"),
        Refusal(image: ["os_secure_boot": "required", "hw_machine_type": "pc"], says: "needs the q35 machine type"),
        Refusal(image: ["os_secure_boot": "sometimes"], says: "Invalid secure boot policy"),
        Refusal(image: ["hw_tpm_version": "3.0"], says: "swtpm gives 1.2 or 2.0"),
        Refusal(image: ["hw_tpm_version": "1.2", "hw_tpm_model": "tpm-crb"], says: "only valid with TPM version 2.0"),
        Refusal(image: ["hw_tpm_version": "2.0", "hw_tpm_model": "tpm-spi"], says: "Invalid TPM model"),
        Refusal(image: ["hw_tpm_version": "2.0"], flavor: ["hw:tpm_version": "1.2"], says: "disagree"),
        Refusal(image: ["hw_pointer_model": "touchpad"], says: "hw_pointer_model=touchpad"),
    ])
    func refusedHardware(_ refusal: Refusal) throws {
        let error = try #require(throws: NimbusError.self) {
            try GuestHardware(image: refusal.image, flavor: refusal.flavor)
        }
        #expect(error.code == .badRequest)
        #expect(error.message.contains(refusal.says), "\(error.message)")
    }

    @Test("Secure Boot: optional is on with UEFI, off with BIOS; disabled keeps plain UEFI")
    func secureBootPolicies() throws {
        #expect(try GuestHardware(image: ["hw_firmware_type": "uefi", "os_secure_boot": "optional"], flavor: [:]).firmware == .uefi(secureBoot: true))
        #expect(try GuestHardware(image: ["os_secure_boot": "optional"], flavor: [:]).firmware == .bios)
        #expect(try GuestHardware(image: ["hw_firmware_type": "uefi", "os_secure_boot": "disabled"], flavor: [:]).firmware == .uefi(secureBoot: false))
        #expect(try GuestHardware(image: [:], flavor: ["os:secure_boot": "required"]).firmware == .uefi(secureBoot: true))
    }

    @Test("hostnames are DNS-safe forms of the server's name")
    func hostnames() {
        #expect(VMSpecBuilder.hostname("My Instance") == "my-instance")
        #expect(VMSpecBuilder.hostname("--web_1--") == "web-1")
        #expect(VMSpecBuilder.hostname("!!!") == "server")
        #expect(VMSpecBuilder.hostname(String(repeating: "a", count: 80)).count == 63)
    }
}

@Suite("QEMU's user-mode DNS address")
struct ResolverAddressTests {
    @Test("QEMU's .3 is kept unless the guest or the gateway holds it; then a free address is named")
    func resolver() {
        #expect(VMSpecBuilder.resolverAddress("10.0.0.0/24", gateway: "10.0.0.1", guest: "10.0.0.2") == nil)
        #expect(VMSpecBuilder.resolverAddress("10.0.0.0/24", gateway: "10.0.0.1", guest: "10.0.0.3") == "10.0.0.4")
        #expect(VMSpecBuilder.resolverAddress("10.0.0.0/24", gateway: "10.0.0.3", guest: "10.0.0.4") == "10.0.0.5")
        #expect(VMSpecBuilder.resolverAddress("10.0.0.0/29", gateway: "10.0.0.5", guest: "10.0.0.3") == "10.0.0.4")
        #expect(VMSpecBuilder.resolverAddress("10.0.0.0/30", gateway: "10.0.0.1", guest: "10.0.0.2") == nil, ".3 is the broadcast: QEMU's default stands")
    }

    @Test("a port on .3 boots: the netdev names another DNS address")
    func netdev() throws {
        let plan = VMSpecBuilder.NICPlan(
            portId: PortID(rawValue: "port-1"), mac: "fa:16:3e:00:00:01", cidr: "10.0.0.0/24", gateway: "10.0.0.1", address: "10.0.0.3")
        let spec = try VMSpecBuilder(accelerator: .tcg).spec(
            for: VMSpecBuilderGoldenTests.server(drives: []), image: VMSpecBuilderGoldenTests.image(), media: [:], rescue: nil,
            configDrive: nil, nics: [plan], paths: VMSpecBuilderGoldenTests.paths)
        let arguments = QEMUCommandLine.arguments(for: spec)
        let netdev = try #require(arguments.first { $0.hasPrefix("user,") })
        #expect(netdev.contains("dhcpstart=10.0.0.3") && netdev.contains("dns=10.0.0.4"), "\(netdev)")
    }
}
