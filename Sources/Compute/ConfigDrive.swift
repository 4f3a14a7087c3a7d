import Foundation
import NimbusCore

/// An OpenStack config drive: an ISO 9660 image labelled `config-2` holding
/// `openstack/latest/` (and the 2012-08-10 copy older cloud-init reads):
/// meta_data.json, network_data.json, vendor_data.json and user_data. Made
/// by the runtime from the server's record each time the VM starts, so it
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
            // A certificate (an x509 key pair) is no SSH key: Nova lists it in `keys` only.
            let certificate = key.hasPrefix("-----BEGIN CERTIFICATE-----")
            if !certificate { data["public_keys"] = [name: key] }
            data["keys"] = [["name": name, "type": certificate ? "x509" : "ssh", "data": key]]
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

    /// The image's files by path: `openstack/latest/` and the 2012-08-10
    /// copy, each with meta_data.json, network_data.json, vendor_data.json
    /// and user_data when there is any.
    func files() throws -> [String: Data] {
        var files: [String: Data] = [:]
        let metaData = try JSONSerialization.data(withJSONObject: metaData, options: [.sortedKeys])
        let networkData = try JSONSerialization.data(withJSONObject: networkData, options: [.sortedKeys])
        for version in ["latest", "2012-08-10"] {
            let folder = "openstack/\(version)/"
            files[folder + "meta_data.json"] = metaData
            files[folder + "network_data.json"] = networkData
            files[folder + "vendor_data.json"] = Data("{}".utf8)
            if let userData = server.userData.flatMap({ Data(base64Encoded: $0) }) {
                files[folder + "user_data"] = userData
            }
        }
        return files
    }

    /// The volume label cloud-init looks for.
    static let label = "config-2"
}
