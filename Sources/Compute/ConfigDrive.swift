import Foundation
import NimbusCore

/// An OpenStack config drive: an ISO 9660 image labelled `config-2` holding
/// `openstack/latest/` (and the 2012-08-10 copy older cloud-init reads):
/// meta_data.json, network_data.json, vendor_data.json and user_data. Written
/// with xorriso from the server's record each time the VM starts, so it
/// always says what the server is now.
struct ConfigDrive {
    struct NIC {
        var mac: String
        var networkID: String
        var portID: String
    }

    let server: Server
    let nics: [NIC]

    /// Whether a server gets one: asked for at create, or required by its image.
    static func wanted(_ server: Server, image: Image?) -> Bool {
        server.configDrive || image?.properties["img_config_drive"] == "mandatory"
    }

    /// Whether a create implies one without asking. Nimbus has no metadata
    /// service (QEMU's user-mode network cannot serve 169.254.169.254), so a
    /// disk image booted with a key pair or user data gets a config drive,
    /// as under Nova's force_config_drive: that is how a cloud image's
    /// cloud-init finds its key. An installer ISO gets one only when asked.
    static func implied(image: Image, keyName: String?, userData: String?) -> Bool {
        image.diskFormat != "iso" && (keyName != nil || userData != nil)
    }

    var metaData: [String: Any] {
        var data: [String: Any] = [
            "uuid": server.id.rawValue, "name": server.name, "hostname": VMSpecBuilder.hostname(server.name),
            "availability_zone": "nova", "launch_index": 0, "project_id": server.projectId.rawValue,
            "meta": server.metadata, "devices": [[String: Any]](),
        ]
        if let name = server.keyName, let key = server.keyData {
            data["public_keys"] = [name: key]
            data["keys"] = [["name": name, "type": "ssh", "data": key]]
        }
        return data
    }

    var networkData: [String: Any] {
        let links = nics.enumerated().map { index, nic -> [String: Any] in
            ["id": "tap\(nic.portID.prefix(11))", "type": "phy", "ethernet_mac_address": nic.mac, "mtu": 1500, "vif_id": nic.portID]
        }
        let networks = nics.enumerated().map { index, nic -> [String: Any] in
            ["id": "network\(index)", "type": "ipv4_dhcp", "link": "tap\(nic.portID.prefix(11))", "network_id": nic.networkID]
        }
        return ["links": links, "networks": networks, "services": [[String: Any]]()]
    }

    /// Writes the image to `path`, replacing any earlier one.
    func write(to path: String) throws {
        let staging = URL(fileURLWithPath: path + ".d")
        try? FileManager.default.removeItem(at: staging)
        defer { try? FileManager.default.removeItem(at: staging) }
        for version in ["latest", "2012-08-10"] {
            let folder = staging.appendingPathComponent("openstack/\(version)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: metaData, options: [.sortedKeys]).write(to: folder.appendingPathComponent("meta_data.json"))
            try JSONSerialization.data(withJSONObject: networkData, options: [.sortedKeys]).write(to: folder.appendingPathComponent("network_data.json"))
            try Data("{}".utf8).write(to: folder.appendingPathComponent("vendor_data.json"))
            if let userData = server.userData.flatMap({ Data(base64Encoded: $0) }) {
                try userData.write(to: folder.appendingPathComponent("user_data"))
            }
        }
        let temporary = path + ".tmp"
        let xorriso = Process()
        xorriso.executableURL = URL(fileURLWithPath: "/usr/bin/xorriso")
        xorriso.arguments = ["-as", "mkisofs", "-quiet", "-V", "config-2", "-r", "-J", "-o", temporary, staging.path]
        let errors = Pipe()
        xorriso.standardError = errors
        xorriso.standardOutput = FileHandle.nullDevice
        try xorriso.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        xorriso.waitUntilExit()
        guard xorriso.terminationStatus == 0 else {
            throw NimbusError(.internalError, "The config drive could not be made: \(String(decoding: message, as: UTF8.self))")
        }
        guard rename(temporary, path) == 0 else {
            throw NimbusError(.internalError, "The config drive could not be put in place at \(path).")
        }
    }
}
