import Foundation
import Testing
@testable import ImageFormats

/// Checks against images made by the real tools, when they are installed.
@Suite("Images made by qemu-img and xorriso", .enabled(if: Scratch.has(Scratch.qemuImg), "qemu-img is not installed"))
struct RealImageTests {
    @Test(arguments: ["compat=0.10", "compat=1.1"])
    func plainQcow2IsAccepted(options: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "qcow2", "-o", options, "disk.qcow2", "16M")
        #expect(try scratch.verdict(of: "disk.qcow2", as: "qcow2") == .accepted(detected: .qcow2))
        #expect(try scratch.verdict(of: "disk.qcow2", as: "raw").reason?.contains("found qcow2") == true)
    }

    @Test func qcow2WithBackingFileIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "raw", "base.raw", "1M")
        try scratch.qemuImg("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "child.qcow2")
        #expect(try scratch.verdict(of: "child.qcow2", as: "qcow2")
            == .refused(reason: "qcow2 image has a backing file; images with backing files are refused for safety"))
        #expect(try scratch.verdict(of: "child.qcow2", as: "raw").reason?.contains("found qcow2") == true)
    }

    @Test func qcow2WithExternalDataFileIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "qcow2", "-o", "data_file=data.raw", "disk.qcow2", "1M")
        #expect(try scratch.verdict(of: "disk.qcow2", as: "qcow2")
            == .refused(reason: "qcow2 image has an external data file; refused for safety"))
    }

    @Test(arguments: ["monolithicSparse", "streamOptimized"])
    func singleFileVMDKIsAccepted(subformat: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "vmdk", "-o", "subformat=\(subformat)", "disk.vmdk", "16M")
        #expect(try scratch.verdict(of: "disk.vmdk", as: "vmdk") == .accepted(detected: .vmdk))
        #expect(try scratch.verdict(of: "disk.vmdk", as: "raw").reason?.contains("found vmdk") == true)
    }

    @Test(arguments: ["monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"])
    func multiFileVMDKDescriptorIsRefused(subformat: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "vmdk", "-o", "subformat=\(subformat)", "disk.vmdk", "16M")
        #expect(try scratch.verdict(of: "disk.vmdk", as: "vmdk").reason?.hasPrefix("vmdk descriptor files only point at other files") == true)
        #expect(try scratch.verdict(of: "disk.vmdk", as: "raw").reason?.contains("found vmdk") == true)
    }

    @Test func vmdkWithParentIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "vmdk", "base.vmdk", "16M")
        try scratch.qemuImg("create", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", "child.vmdk")
        #expect(try scratch.verdict(of: "child.vmdk", as: "vmdk")
            == .refused(reason: "vmdk image has a parent (backing) file; images with backing files are refused for safety"))
    }

    @Test(arguments: ["fixed", "dynamic"])
    func vhdIsAccepted(subformat: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "vpc", "-o", "subformat=\(subformat)", "disk.vhd", "4M")
        #expect(try scratch.verdict(of: "disk.vhd", as: "vhd") == .accepted(detected: .vhd))
        #expect(try scratch.verdict(of: "disk.vhd", as: "raw").reason?.contains("found vhd") == true)
    }

    @Test(arguments: [("vhdx", "vhdx", DetectedFormat.vhdx), ("vdi", "vdi", .vdi), ("parallels", "ploop", .ploop)])
    func otherFormatsAreRecognised(tool: String, declared: String, detected: DetectedFormat) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", tool, "disk.img", "16M")
        #expect(try scratch.verdict(of: "disk.img", as: declared) == .accepted(detected: detected))
        #expect(try scratch.verdict(of: "disk.img", as: "raw").reason?.contains("found \(detected.rawValue)") == true)
    }

    @Test func qedDeclaredAsRawIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.qemuImg("create", "-f", "qed", "disk.qed", "16M")
        #expect(try scratch.verdict(of: "disk.qed", as: "raw").reason?.contains("QED") == true)
    }

    @Test func isoMadeByXorrisoIsAccepted() throws {
        try #require(Scratch.has(Scratch.xorriso), "xorriso is not installed")
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.path("root"), withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: scratch.path("root/hello.txt")))
        try scratch.run(Scratch.xorriso, "-as", "mkisofs", "-quiet", "-o", "disk.iso", "root")
        #expect(try scratch.verdict(of: "disk.iso", as: "iso") == .accepted(detected: .iso))
        #expect(try scratch.verdict(of: "disk.iso", as: "raw") == .accepted(detected: .iso))
        #expect(try scratch.verdict(of: "disk.iso", as: "qcow2") == .refused(reason: "Image data is not in qcow2 format: found iso"))
    }
}

/// A temporary directory in which to run the image tools.
struct Scratch {
    static let qemuImg = "/usr/bin/qemu-img"
    static let xorriso = "/usr/bin/xorriso"

    struct ToolFailed: Error, CustomStringConvertible {
        let description: String
    }

    let directory: URL

    static func has(_ tool: String) -> Bool { FileManager.default.isExecutableFile(atPath: tool) }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("imgfmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func qemuImg(_ arguments: String...) throws { try run(Self.qemuImg, arguments) }

    func run(_ tool: String, _ arguments: String...) throws { try run(tool, arguments) }

    func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
    }

    /// The verdict for a file, fed to the inspector in 64 KiB chunks as an upload would be.
    func verdict(of name: String, as format: String) throws -> InspectionVerdict {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        var inspector = ImageInspector()
        data.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 65536) {
                inspector.consume(UnsafeRawBufferPointer(rebasing: raw[start ..< min(start + 65536, raw.count)]))
            }
        }
        return inspector.verdict(declaredDiskFormat: format)
    }
}
