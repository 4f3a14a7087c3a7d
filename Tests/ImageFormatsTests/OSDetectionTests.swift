import Foundation
import Testing
@testable import ImageFormats

/// Installer discs built in the test from a directory tree, with the files
/// each distribution puts on its media, by xorriso (ISO 9660 with Rock
/// Ridge, as distributions make them) or genisoimage (UDF, as Windows's).
@Suite("Which OS an installer disc holds")
struct OSDetectionTests {
    /// Builds a disc from `files` (relative path to contents) and returns its bytes' reader.
    static func disc(
        _ files: [String: [UInt8]], label: String = "INSTALLER", tool: Tool = .xorriso, boot: [DiscFiles.BootPlatform] = []
    ) throws -> DiscFiles {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("os-detect-\(UUID().uuidString)")
        let tree = directory.appendingPathComponent("tree")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (path, contents) in files {
            let file = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents).write(to: file)
        }
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("boot"), withIntermediateDirectories: true)
        try Data(count: 2048).write(to: tree.appendingPathComponent("boot/bios.img"))
        try Data(count: 2048 * 4).write(to: tree.appendingPathComponent("boot/efi.img"))
        let output = directory.appendingPathComponent("disc.iso").path
        var arguments: [String]
        let executable: String
        switch tool {
        case .xorriso:
            executable = "/usr/bin/xorriso"
            arguments = ["-as", "mkisofs", "-quiet", "-R", "-J", "-V", label, "-o", output]
            for (index, platform) in boot.enumerated() {
                if index > 0 { arguments.append("-eltorito-alt-boot") }
                arguments += platform == .bios
                    ? ["-b", "boot/bios.img", "-no-emul-boot", "-boot-load-size", "4"]
                    : ["-e", "boot/efi.img", "-no-emul-boot"]
            }
        case .genisoimageUDFOnly:
            // As Windows media: the ISO 9660 tree holds a README; the files are in UDF only.
            executable = "/usr/bin/genisoimage"
            arguments = ["-quiet", "-udf", "-iso-level", "3", "-V", label, "-o", output]
            for top in Set(files.keys.compactMap { $0.split(separator: "/").first.map(String.init) }) where files[top] == nil {
                arguments += ["-hide", top]
            }
        }
        arguments.append(tree.path)
        let process = try Process.run(URL(fileURLWithPath: executable), arguments: arguments)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        return try #require(DiscFiles(DiscMemory(bytes)))
    }

    enum Tool { case xorriso, genisoimageUDFOnly }

    /// A WIM header whose XML resource holds `xml` (UTF-16LE, as in every install.wim).
    static func wim(_ xml: String) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 208)
        header.replaceSubrange(0 ..< 8, with: Array("MSWIM\0\0\0".utf8))
        let body: [UInt8] = [0xFF, 0xFE] + xml.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        header.replaceSubrange(72 ..< 80, with: withUnsafeBytes(of: UInt64(body.count).littleEndian, Array.init))
        header.replaceSubrange(80 ..< 88, with: withUnsafeBytes(of: UInt64(4096).littleEndian, Array.init))
        return header + [UInt8](repeating: 0, count: 4096 - 208) + body
    }

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    struct Row: Sendable, CustomTestStringConvertible {
        var files: [String: [UInt8]]
        var label = "INSTALLER"
        var tool: Tool = .xorriso
        var distro: String
        var version: String?
        var testDescription: String { "\(distro) \(version ?? "")" }
    }

    static let rows: [Row] = [
        Row(files: ["sources/install.wim": wim("<WIM><IMAGE><WINDOWS><VERSION><BUILD>22631</BUILD></VERSION></WINDOWS></IMAGE></WIM>"),
                    "efi/microsoft/boot/bcd": [1]],
            label: "CCCOMA_X64FRE_EN-US_DV9", tool: .genisoimageUDFOnly, distro: "windows", version: "11"),
        Row(files: ["sources/install.esd": wim("<WIM><IMAGE><WINDOWS><VERSION><BUILD>19045</BUILD></VERSION></WINDOWS></IMAGE></WIM>")],
            tool: .genisoimageUDFOnly, distro: "windows", version: "10"),
        Row(files: ["sources/install.wim": wim("<WIM><IMAGE><WINDOWS><INSTALLATIONTYPE>Server</INSTALLATIONTYPE><VERSION><BUILD>20348</BUILD></VERSION></WINDOWS></IMAGE></WIM>")],
            distro: "windows", version: "2022"),
        Row(files: [".disk/info": text("Debian GNU/Linux 12.8.0 \"Bookworm\" - Official amd64 NETINST with firmware 20241109-11:04")],
            distro: "debian", version: "12.8.0"),
        Row(files: [".disk/info": text("Ubuntu-Server 24.04.1 LTS \"Noble Numbat\" - Release amd64 (20240827)")], distro: "ubuntu", version: "24.04.1"),
        Row(files: [".treeinfo": text("[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n[release]\nname = Fedora\nshort = Fedora\nversion = 41\n")],
            distro: "fedora", version: "41"),
        Row(files: [".treeinfo": text("[general]\nfamily = Rocky Linux\nversion = 9.4\narch = x86_64\n")], distro: "rocky", version: "9.4"),
        Row(files: [".treeinfo": text("[release]\nname = AlmaLinux\nversion = 9.5\n")], distro: "almalinux", version: "9.5"),
        Row(files: [".treeinfo": text("[release]\nname = Red Hat Enterprise Linux\nshort = RHEL\nversion = 9.5\n")], distro: "rhel", version: "9.5"),
        Row(files: ["media.1/products": text("/ openSUSE-Leap 15.6-0\n")], distro: "opensuse", version: "15.6"),
        Row(files: ["arch/version": text("2024.11.01\n"), "arch/boot/x86_64/vmlinuz-linux": [0]], distro: "arch", version: "2024.11.01"),
        Row(files: ["bin/freebsd-version": text("#!/bin/sh\nUSERLAND_VERSION=\"14.1-RELEASE\"\n")], distro: "freebsd", version: "14.1"),
        Row(files: ["nimbus/manifest": text("linux-image-6.1.0-56-amd64 6.1.192-2 amd64\n")], label: "NIMBUS_DEMO_1_0", distro: "nimbus-demo", version: "1.0"),
        // Not an OS: Windows's virtio drivers, recognised so a Windows server with it gets virtio disks.
        Row(files: ["viostor/w11/amd64/viostor.inf": [1], "NetKVM/w11/amd64/netkvm.inf": [1]], label: "virtio-win-0.1.262",
            distro: "virtio-win", version: "0.1.262"),
    ]

    @Test("each recognised installer gets its os_distro and os_version", arguments: rows)
    func recognised(_ row: Row) throws {
        let disc = try Self.disc(row.files, label: row.label, tool: row.tool)
        let detected = try #require(DetectedOS.detect(disc))
        #expect(detected.distro == row.distro)
        #expect(detected.version == row.version)
    }

    @Test("a disc with no installer's marks is no OS; names match without regard to case, as on a CD")
    func unrecognised() throws {
        let disc = try Self.disc(["README.TXT": Self.text("just files"), "Docs/Guide.txt": Self.text("guide")])
        #expect(DetectedOS.detect(disc) == nil)
        #expect(disc.contents("docs/guide.txt").map { String(decoding: $0, as: UTF8.self) } == "guide")
        #expect(disc.entry("docs/missing.txt") == nil)
    }

    @Test("the El Torito catalog says which firmware can boot the disc")
    func bootPlatforms() throws {
        #expect(try Self.disc(["a": [1]], boot: [.uefi]).bootPlatforms == [.uefi])
        #expect(try Self.disc(["a": [1]], boot: [.bios, .uefi]).bootPlatforms == [.bios, .uefi])
        #expect(try Self.disc(["a": [1]], boot: [.bios]).bootPlatforms == [.bios])
        #expect(try Self.disc(["a": [1]]).bootPlatforms.isEmpty)
    }

    @Test("Windows media keep their files in UDF only: found there, not in the ISO 9660 tree")
    func udfOnly() throws {
        let disc = try Self.disc(["sources/install.wim": Self.wim("<WIM/>"), "README.TXT": Self.text("UDF")], tool: .genisoimageUDFOnly)
        let isoNames = disc.isoChildren(try #require(disc.isoRoot)).map(\.0)
        #expect(!isoNames.contains("sources") && isoNames.contains("readme.txt"), "\(isoNames)")
        #expect(disc.entry("SOURCES/Install.wim")?.isDirectory == false)
        #expect(DetectedOS.detect(disc) == DetectedOS(distro: "windows", version: nil, evidence: "sources/install.wim"))
    }

    // MARK: Hostile discs

    /// Counts reads, so a test can say a hostile disc cost little.
    final class CountingDisc: DiscBytes, @unchecked Sendable {
        let inner: DiscMemory
        var reads = 0
        init(_ bytes: [UInt8]) { inner = DiscMemory(bytes) }
        var size: Int64 { inner.size }
        func read(at offset: Int64, count: Int) -> [UInt8]? {
            reads += 1
            return inner.read(at: offset, count: count)
        }
    }

    /// A directory record: `name` at `lba`, `size` bytes, a directory or not.
    static func record(_ name: [UInt8], lba: UInt32, size: UInt32, directory: Bool) -> [UInt8] {
        let length = 33 + name.count + (name.count % 2 == 0 ? 1 : 0)
        var record = [UInt8](repeating: 0, count: length)
        record[0] = UInt8(length)
        Craft.le(&record, lba, at: 2)
        Craft.be(&record, lba, at: 6)
        Craft.le(&record, size, at: 10)
        Craft.be(&record, size, at: 14)
        record[25] = directory ? 2 : 0
        record[32] = UInt8(name.count)
        record.replaceSubrange(33 ..< 33 + name.count, with: name)
        return record
    }

    /// A disc of `sectors` sectors whose root directory (sector 20) holds `entries`;
    /// `more` writes further sectors.
    static func crafted(sectors: Int = 24, root entries: [[UInt8]], more: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: sectors * 2048)
        let pvd = 16 * 2048
        bytes[pvd] = 1
        Craft.put(&bytes, "CD001", at: pvd + 1)
        bytes.replaceSubrange(pvd + 156 ..< pvd + 190, with: record([0], lba: 20, size: 2048, directory: true))
        bytes[17 * 2048] = 255
        Craft.put(&bytes, "CD001", at: 17 * 2048 + 1)
        var offset = 20 * 2048
        for entry in [record([0], lba: 20, size: 2048, directory: true), record([1], lba: 20, size: 2048, directory: true)] + entries {
            bytes.replaceSubrange(offset ..< offset + entry.count, with: entry)
            offset += entry.count
        }
        more(&bytes)
        return bytes
    }

    @Test("hostile directory records: a loop, extents outside the image, names with / or NUL; read safely, nothing found")
    func hostileRecords() throws {
        let bytes = Self.crafted(root: [
            // "sources" is the root again: a loop.
            Self.record(Array("SOURCES".utf8), lba: 20, size: 2048, directory: true),
            // Outside the image, and far outside.
            Self.record(Array(".DISK".utf8), lba: 23, size: 1 << 30, directory: true),
            Self.record(Array(".TREEINFO;1".utf8), lba: 0xFFFF_FFF0, size: 100, directory: false),
            // Names that would be paths.
            Self.record(Array("bin/freebsd-version".utf8), lba: 21, size: 10, directory: false),
            Self.record(Array("arch\0".utf8), lba: 21, size: 2048, directory: true),
        ])
        let disc = CountingDisc(bytes)
        let files = try #require(DiscFiles(disc))
        #expect(DetectedOS.detect(files) == nil)
        #expect(files.entry("sources/sources/sources")?.isDirectory == true, "a loop is just a directory met again")
        #expect(files.entry("bin/freebsd-version") == nil)
        #expect(disc.reads < 200, "\(disc.reads) reads")
    }

    @Test("a 10,000-deep tree costs what a shallow one does: only the named paths are walked")
    func deepTree() throws {
        let depth = 10_000
        let bytes = Self.crafted(sectors: 21 + depth, root: [Self.record(Array("SOURCES".utf8), lba: 21, size: 2048, directory: true)]) { bytes in
            for level in 0 ..< depth - 1 {
                let sector = 21 + level
                let child = Self.record(Array("SOURCES".utf8), lba: UInt32(sector + 1), size: 2048, directory: true)
                bytes.replaceSubrange(sector * 2048 ..< sector * 2048 + child.count, with: child)
            }
        }
        let disc = CountingDisc(bytes)
        let files = try #require(DiscFiles(disc))
        #expect(DetectedOS.detect(files) == nil)
        #expect(files.entry(Array(repeating: "sources", count: 9).joined(separator: "/")) == nil, "paths deeper than 8 are not walked")
        #expect(disc.reads < 200, "\(disc.reads) reads")
    }

    @Test("random bytes after a valid descriptor, and truncated discs, are no OS and no crash")
    func noise() throws {
        var bytes = Self.crafted(root: [Self.record(Array("SOURCES".utf8), lba: 21, size: 2048, directory: true)])
        bytes.replaceSubrange(21 * 2048 ..< 24 * 2048, with: Craft.noise(3 * 2048))
        for cut in [bytes.count, 21 * 2048 + 100, 20 * 2048 + 40, 16 * 2048 + 10] {
            if let files = DiscFiles(DiscMemory(Array(bytes.prefix(cut)))) {
                #expect(DetectedOS.detect(files) == nil)
            }
        }
    }
}
