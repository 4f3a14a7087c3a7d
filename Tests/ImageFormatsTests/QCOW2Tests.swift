import Testing
@testable import ImageFormats

@Suite("qcow2")
struct QCOW2Tests {
    static let backingRefusal = "qcow2 image has a backing file; images with backing files are refused for safety"
    static let dataFileRefusal = "qcow2 image has an external data file; refused for safety"

    @Test(arguments: [UInt32(2), 3])
    func plainImageIsAccepted(version: UInt32) {
        #expect(verdict(Craft.qcow2(version: version), as: "qcow2") == .accepted(detected: .qcow2))
    }

    @Test(arguments: [UInt32(2), 3])
    func backingFileIsRefused(version: UInt32) {
        #expect(verdict(Craft.qcow2(version: version, backingFile: true), as: "qcow2") == .refused(reason: Self.backingRefusal))
    }

    @Test func backingFileSizeAloneIsRefused() {
        var bytes = Craft.qcow2()
        Craft.be(&bytes, UInt32(8), at: 16)
        #expect(verdict(bytes, as: "qcow2") == .refused(reason: Self.backingRefusal))
    }

    @Test func externalDataFileBitIsRefused() {
        #expect(verdict(Craft.qcow2(incompatible: 1 << 2), as: "qcow2") == .refused(reason: Self.dataFileRefusal))
    }

    @Test(arguments: [UInt32(2), 3])
    func dataFileHeaderExtensionIsRefused(version: UInt32) {
        let extensions: [(UInt32, [UInt8])] = [(0x6803_F857, [UInt8](repeating: 1, count: 48)), (0x4441_5441, Array("/etc/passwd".utf8))]
        #expect(verdict(Craft.qcow2(version: version, extensions: extensions), as: "qcow2") == .refused(reason: Self.dataFileRefusal))
    }

    @Test func harmlessHeaderExtensionsAreAccepted() {
        let extensions: [(UInt32, [UInt8])] = [(0x6803_F857, [UInt8](repeating: 1, count: 48)), (0, [])]
        #expect(verdict(Craft.qcow2(extensions: extensions), as: "qcow2") == .accepted(detected: .qcow2))
    }

    @Test func knownIncompatibleFeaturesAreAccepted() {
        // dirty, compression type and extended L2 entries change nothing about other files.
        #expect(verdict(Craft.qcow2(incompatible: 0b11001), as: "qcow2") == .accepted(detected: .qcow2))
    }

    @Test func unknownIncompatibleFeatureIsRefused() {
        #expect(verdict(Craft.qcow2(incompatible: 1 << 5), as: "qcow2")
            == .refused(reason: "qcow2 image uses unknown incompatible features (0x20); refused for safety"))
    }

    @Test(arguments: [UInt32(1), 4, 0xFFFF_FFFF])
    func unsupportedVersionIsRefused(version: UInt32) {
        #expect(verdict(Craft.qcow2(version: version), as: "qcow2").reason?.contains("unsupported version \(version)") == true)
    }

    @Test(arguments: [UInt32(0), 8, 22, 63, 0xFFFF_FFFF])
    func insaneClusterBitsAreRefused(bits: UInt32) {
        #expect(verdict(Craft.qcow2(clusterBits: bits), as: "qcow2").reason?.contains("invalid cluster size") == true)
    }

    @Test(arguments: [UInt32(0), 72, 100, 105, 0x10_0000, 0xFFFF_FFF8])
    func invalidHeaderLengthIsRefused(length: UInt32) {
        var bytes = Craft.qcow2(clusterBits: 16)
        Craft.be(&bytes, length, at: 100)
        #expect(verdict(bytes, as: "qcow2").reason?.contains("invalid header length") == true)
    }

    @Test(arguments: [4, 20, 71, 103])
    func truncatedHeaderIsRefused(length: Int) {
        let bytes = Array(Craft.qcow2(version: 3).prefix(length))
        #expect(verdict(bytes, as: "qcow2") == .refused(reason: "qcow2 header is truncated"))
        #expect(ImageInspector.fed(bytes).detectedFormat() == .qcow2)
    }

    @Test func hugeExtensionLengthEndsTheWalkSafely() {
        let extensions: [(UInt32, [UInt8])] = [(0x1234_5678, [])]
        var bytes = Craft.qcow2(extensions: extensions)
        Craft.be(&bytes, UInt32.max, at: 108)
        #expect(verdict(bytes, as: "qcow2") == .accepted(detected: .qcow2))
    }

    @Test func qcow2DeclaredAsRawIsRefused() {
        #expect(verdict(Craft.qcow2(), as: "raw")
            == .refused(reason: "Image data is not in raw format: found qcow2; upload it with disk_format qcow2"))
    }

    @Test func randomDataDeclaredAsQcow2IsRefused() {
        #expect(verdict(Craft.noise(4096), as: "qcow2")
            == .refused(reason: "Image data is not in qcow2 format: no qcow2 header at the start of the data"))
    }
}
