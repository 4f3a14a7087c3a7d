import Foundation

/// Which operating system an installer disc holds, read from the files
/// each distribution puts on its media (as libosinfo does, without a
/// database): `os_distro` and `os_version` in Glance's vocabulary, and the
/// file that said so.
public struct DetectedOS: Sendable, Equatable {
    public var distro: String
    public var version: String?
    /// The file (or marker) the detection rests on, for the image's record and the log.
    public var evidence: String

    public init(distro: String, version: String?, evidence: String) {
        self.distro = distro
        self.version = version
        self.evidence = evidence
    }

    /// Not an OS: the virtio drivers for Windows (Fedora's virtio-win ISO).
    public static let virtioWin = "virtio-win"

    /// Whether this is a driver disc rather than an installer.
    public var isDriverDisc: Bool { distro == Self.virtioWin }

    /// Reads `disc`; nil when it is not a disc or no known OS is on it.
    /// Detection is advice: any oddity in the disc means "not recognised".
    public static func detect(_ disc: DiscFiles) -> DetectedOS? {
        for path in ["sources/install.wim", "sources/install.esd"] {
            if let wim = disc.entry(path), !wim.isDirectory {
                return DetectedOS(distro: "windows", version: windowsVersion(disc, wim), evidence: path)
            }
        }
        if let info = text(disc, ".disk/info") {
            let lowered = info.lowercased()
            for (marker, distro) in [("ubuntu", "ubuntu"), ("debian", "debian"), ("linux mint", "linuxmint")] where lowered.contains(marker) {
                return DetectedOS(distro: distro, version: firstVersion(info), evidence: ".disk/info")
            }
        }
        if let treeinfo = text(disc, ".treeinfo"), let found = fromTreeinfo(treeinfo) { return found }
        if let products = text(disc, "media.1/products"), products.lowercased().contains("opensuse") || products.lowercased().contains("suse") {
            let version = products.lowercased().contains("tumbleweed") ? "tumbleweed" : firstVersion(products)
            return DetectedOS(distro: "opensuse", version: version, evidence: "media.1/products")
        }
        if let version = text(disc, "arch/version") {
            return DetectedOS(distro: "arch", version: version.trimmingCharacters(in: .whitespacesAndNewlines), evidence: "arch/version")
        }
        if let script = text(disc, "bin/freebsd-version"), let line = script.split(separator: "\n").first(where: { $0.hasPrefix("USERLAND_VERSION=") }) {
            return DetectedOS(distro: "freebsd", version: firstVersion(String(line)), evidence: "bin/freebsd-version")
        }
        if disc.entry("viostor")?.isDirectory == true, disc.entry("netkvm")?.isDirectory == true {
            let label = disc.volumeLabel.lowercased()
            let version = label.hasPrefix("virtio-win-") ? String(label.dropFirst("virtio-win-".count)) : nil
            return DetectedOS(distro: DetectedOS.virtioWin, version: version, evidence: "viostor")
        }
        if disc.entry("nimbus/manifest") != nil, disc.volumeLabel.hasPrefix("NIMBUS_DEMO_") {
            let version = disc.volumeLabel.dropFirst("NIMBUS_DEMO_".count).replacingOccurrences(of: "_", with: ".")
            return DetectedOS(distro: "nimbus-demo", version: version, evidence: "nimbus/manifest")
        }
        return nil
    }

    /// A small text file of the disc (at most 64 KiB of it).
    static func text(_ disc: DiscFiles, _ path: String) -> String? {
        disc.contents(path, limit: 64 << 10).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The first dotted number in `text`: "12.5.0" in "Debian GNU/Linux 12.5.0 ...".
    static func firstVersion(_ text: String) -> String? {
        text.firstMatch(of: /[0-9]+(\.[0-9]+)*/).map { String($0.output.0) }
    }

    /// `.treeinfo` (Fedora, RHEL and its rebuilds): `[release] name` and
    /// `version` in format 1.x, `[general] family` and `version` before it.
    static func fromTreeinfo(_ text: String) -> DetectedOS? {
        var section = ""
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values["\(section).\(parts[0])"] = parts[1] }
        }
        guard let name = values["release.name"] ?? values["general.family"] else { return nil }
        let version = values["release.version"] ?? values["general.version"]
        let distros: [(String, String)] = [
            ("red hat enterprise linux", "rhel"), ("almalinux", "almalinux"), ("rocky", "rocky"), ("centos", "centos"),
            ("fedora", "fedora"), ("oracle", "ol"),
        ]
        guard let distro = distros.first(where: { name.lowercased().contains($0.0) })?.1 else { return nil }
        return DetectedOS(distro: distro, version: version, evidence: ".treeinfo")
    }

    /// Windows's version from the install image's XML (in every WIM and
    /// ESD, uncompressed): build 22000 and later is Windows 11; a server
    /// edition is named by its year.
    static func windowsVersion(_ disc: DiscFiles, _ wim: DiscFiles.Entry) -> String? {
        guard let header = disc.read(wim, limit: 208).map(ByteView.init), header.has("MSWIM\0\0\0", at: 0),
              let rawSize = header.u64le(72), let offset = header.u64le(80)
        else { return nil }
        let size = Int(rawSize & 0x00FF_FFFF_FFFF_FFFF)
        guard offset < UInt64(wim.size), size > 0,
              let xml = disc.read(wim, from: Int64(offset), limit: min(size, DiscFiles.maximumFileBytes))
        else { return nil }
        let units = stride(from: 0, to: xml.count - 1, by: 2).map { UInt16(xml[$0]) | UInt16(xml[$0 + 1]) << 8 }
        let text = String(decoding: units, as: UTF16.self)
        let builds = text.matches(of: /<BUILD>([0-9]+)<\/BUILD>/).compactMap { Int($0.output.1) }
        guard let build = builds.max() else { return nil }
        if text.contains("<INSTALLATIONTYPE>Server") {
            return build >= 26100 ? "2025" : build >= 20348 ? "2022" : build >= 17763 ? "2019" : "2016"
        }
        return build >= 22000 ? "11" : "10"
    }
}
