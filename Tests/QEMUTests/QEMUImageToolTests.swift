import Foundation
import QEMU
import Testing

@Suite("qemu-img")
struct QEMUImageToolTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qemu-img-\(UUID().uuidString)")

    @Test("a blank disk is sparse qcow2 of the asked size; an overlay names its base")
    func blankAndOverlay() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tool = QEMUImageTool()
        let disk = directory.appendingPathComponent("disk.qcow2").path
        try await tool.createBlank(at: disk, sizeBytes: 20 << 30)
        let info = try await tool.info(of: disk)
        #expect(info.format == "qcow2")
        #expect(info.virtualSize == 20 << 30)
        let onDisk = try #require(try FileManager.default.attributesOfItem(atPath: disk)[.size] as? Int)
        #expect(onDisk < 1 << 20, "a blank 20 GiB disk must not take space up front")

        let overlay = directory.appendingPathComponent("overlay.qcow2").path
        try await tool.createOverlay(at: overlay, backingFile: disk, backingFormat: "qcow2", sizeBytes: 30 << 30)
        let overlayInfo = try await tool.info(of: overlay)
        #expect(overlayInfo.backingFilename == disk)
        #expect(overlayInfo.virtualSize == 30 << 30)

        let flat = directory.appendingPathComponent("flat.qcow2").path
        try await tool.convert(from: overlay, to: flat)
        #expect(try await tool.info(of: flat).backingFilename == nil)
    }

    @Test("failures carry qemu-img's message")
    func failure() async throws {
        await #expect(throws: QEMUError.self) {
            _ = try await QEMUImageTool().info(of: "/nonexistent/disk.qcow2")
        }
    }
}
