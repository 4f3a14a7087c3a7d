import Foundation
import ImageFormats
import NimbusCore

/// What an uploaded installer ISO tells Nimbus about itself, turned into
/// image properties: Glance's `os_distro` and `os_version`, and the hardware
/// that OS needs, each set only where the user set nothing. Recorded on the
/// image (`nimbus_os_detected`, `nimbus_os_defaults`) so `openstack image
/// show` says what was read and what was chosen.
struct InstallerAdvice: Equatable {
    var detected: DetectedOS?
    var uefiOnly: Bool

    static let detectedProperty = InstallerProperties.detected
    static let defaultsProperty = InstallerProperties.defaults
    static let driverDiscProperty = InstallerProperties.driverDisc

    /// Reads the ISO at `path`; any failure is "nothing detected": detection is advice, not a gate.
    static func read(iso path: URL) -> InstallerAdvice? {
        guard let file = try? DiscFile(path: path.path), let disc = DiscFiles(file) else { return nil }
        return InstallerAdvice(detected: DetectedOS.detect(disc), uefiOnly: disc.bootPlatforms == [.uefi])
    }

    /// The properties to add to an image that has `existing` ones.
    func properties(adding existing: [String: String]) -> [String: String] {
        var added: [String: String] = [:]
        func suggest(_ key: String, _ value: String?) {
            guard let value, existing[key] == nil, added[key] == nil else { return }
            added[key] = value
        }
        var defaults: [(String, String)] = []
        if let detected, detected.isDriverDisc {
            suggest(Self.driverDiscProperty, detected.distro)
            suggest(Self.detectedProperty, "\(detected.distro) \(detected.version ?? "") (\(detected.evidence))")
        } else if let detected {
            suggest("os_distro", detected.distro)
            suggest("os_version", detected.version)
            let name = [detected.distro, detected.version].compactMap { $0 }.joined(separator: " ")
            suggest(Self.detectedProperty, "\(name) (\(detected.evidence))")
            if detected.distro == "windows" { defaults += Self.windows(existing) }
        }
        if uefiOnly { defaults.append(("hw_firmware_type", "uefi")) }
        var chosen: [String] = []
        for (key, value) in defaults where existing[key] == nil && added[key] == nil {
            added[key] = value
            chosen.append(key)
        }
        if !chosen.isEmpty { suggest(Self.defaultsProperty, chosen.joined(separator: ",")) }
        return added
    }

    /// Windows 10 and 11, Server 2016 and later: UEFI with Secure Boot and a
    /// TPM 2.0 (Windows 11 refuses to install without them, and the others
    /// use them), q35, local-time clock and Hyper-V enlightenments through
    /// os_type, and SATA disks, which Windows's installer finds without a
    /// driver disc. Nothing that would contradict a choice the user made.
    static func windows(_ existing: [String: String]) -> [(String, String)] {
        var defaults = [("os_type", "windows"), ("hw_disk_bus", "sata")]
        let bios = existing["hw_firmware_type"] == "bios"
        let machine = existing["hw_machine_type"] ?? "q35"
        if !bios { defaults.append(("hw_firmware_type", "uefi")) }
        if existing["hw_machine_type"] == nil { defaults.append(("hw_machine_type", "q35")) }
        if !bios, machine == "q35" || machine.hasPrefix("pc-q35") { defaults.append(("os_secure_boot", "required")) }
        if existing["hw_tpm_version"] == nil, existing["hw_tpm_model"] == nil {
            defaults += [("hw_tpm_version", "2.0"), ("hw_tpm_model", "tpm-crb")]
        }
        return defaults
    }
}
