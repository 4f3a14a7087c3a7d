import Testing
@testable import ImageFormats

@Suite("vmdk")
struct VMDKTests {
    @Test(arguments: ["monolithicSparse", "streamOptimized", "MONOLITHICSPARSE"])
    func singleFileImagesAreAccepted(createType: String) {
        #expect(verdict(Craft.vmdk(createType: createType), as: "vmdk") == .accepted(detected: .vmdk))
    }

    @Test func windowsLineEndingsAreAccepted() {
        #expect(verdict(Craft.vmdk(lineEnding: "\r\n"), as: "vmdk") == .accepted(detected: .vmdk))
    }

    @Test func extentPointingAtAnotherFileIsRefused() {
        let extents = [#"RW 2048 SPARSE "disk.vmdk""#, #"RW 2048 FLAT "other.vmdk" 0"#]
        #expect(verdict(Craft.vmdk(extents: extents), as: "vmdk")
            == .refused(reason: "vmdk descriptor points at extent file \"other.vmdk\"; refused for safety"))
    }

    @Test func singleFlatExtentIsRefused() {
        #expect(verdict(Craft.vmdk(extents: [#"RW 2048 FLAT "other.vmdk" 0"#]), as: "vmdk")
            == .refused(reason: "vmdk descriptor points at extent file \"other.vmdk\"; refused for safety"))
    }

    @Test func sparseExtentWithPathIsRefused() {
        #expect(verdict(Craft.vmdk(extents: [#"RW 2048 SPARSE "/var/lib/secret.vmdk""#]), as: "vmdk")
            == .refused(reason: "vmdk descriptor points at extent file \"/var/lib/secret.vmdk\"; refused for safety"))
    }

    @Test func zeroCapacityDefersToTheDescriptorAndIsRefused() {
        // With capacity 0 QEMU opens the descriptor's extent files instead of the image itself.
        #expect(verdict(Craft.vmdk(capacity: 0, extents: [#"RW 2048 SPARSE "other.vmdk""#]), as: "vmdk")
            == .refused(reason: "vmdk descriptor points at extent file \"other.vmdk\"; refused for safety"))
    }

    @Test(arguments: ["twoGbMaxExtentSparse", "monolithicFlat", "vmfs"])
    func otherCreateTypesAreRefused(createType: String) {
        #expect(verdict(Craft.vmdk(createType: createType), as: "vmdk").reason?
            .contains("createType \"\(createType)\" is not supported") == true)
    }

    @Test func parentFileNameHintIsRefused() {
        let bytes = Craft.vmdk(extraLines: [#"parentFileNameHint="base.vmdk""#])
        #expect(verdict(bytes, as: "vmdk")
            == .refused(reason: "vmdk image has a parent (backing) file; images with backing files are refused for safety"))
    }

    @Test func unsupportedDescriptorLineIsRefused() {
        let bytes = Craft.vmdk(extraLines: ["include /etc/passwd"])
        #expect(verdict(bytes, as: "vmdk") == .refused(reason: "vmdk descriptor contains an unsupported line; refused for safety"))
    }

    @Test func missingExtentIsRefused() {
        #expect(verdict(Craft.vmdk(extents: []), as: "vmdk") == .refused(reason: "vmdk descriptor lists no extents; refused"))
    }

    @Test func missingDescriptorIsRefused() {
        #expect(verdict(Craft.vmdk(descriptorSector: 0), as: "vmdk").reason?.contains("no embedded descriptor") == true)
    }

    @Test(arguments: [UInt64(4096), 1 << 40, UInt64.max])
    func descriptorOutsideTheKeptBytesIsRefused(sector: UInt64) {
        #expect(verdict(Craft.vmdk(descriptorSector: sector), as: "vmdk").reason?.contains("could not be read") == true)
    }

    @Test func descriptorCutOffByTheEndOfDataIsRefused() {
        let bytes = Array(Craft.vmdk().prefix(600))
        #expect(verdict(bytes, as: "vmdk").reason?.contains("could not be read") == true)
    }

    @Test(arguments: [4, 100, 511])
    func truncatedHeaderIsRefused(length: Int) {
        #expect(verdict(Array(Craft.vmdk().prefix(length)), as: "vmdk") == .refused(reason: "vmdk header is truncated"))
    }

    @Test func nonASCIIDescriptorIsRefused() {
        var bytes = Craft.vmdk()
        bytes[530] = 0xC3
        #expect(verdict(bytes, as: "vmdk").reason?.contains("not plain ASCII") == true)
    }

    @Test func textDescriptorFileIsRefused() {
        let inspector = ImageInspector.fed(Craft.vmdkDescriptorFile())
        #expect(inspector.detectedFormat() == .vmdk)
        #expect(inspector.verdict(declaredDiskFormat: "vmdk").reason?.hasPrefix("vmdk descriptor files only point at other files") == true)
    }

    @Test func descriptorFileAsQEMUProbesItIsDetected() {
        // No "# Disk DescriptorFile" banner: other comments, blank lines, then version=1.
        let bytes = Craft.vmdkDescriptorFile(header: "# made by hand\n   \r\n")
        #expect(ImageInspector.fed(bytes).detectedFormat() == .vmdk)
        #expect(verdict(bytes, as: "raw").reason == "Image data is not in raw format: found vmdk; upload it with disk_format vmdk")
    }

    @Test func oldCOWDFormatIsRefused() {
        var bytes = [UInt8](repeating: 0, count: 2048)
        Craft.put(&bytes, "COWD", at: 0)
        #expect(verdict(bytes, as: "vmdk").reason?.contains("COWD") == true)
        #expect(verdict(bytes, as: "raw").reason?.contains("found vmdk") == true)
    }

    @Test func sparseVMDKDeclaredAsRawIsRefused() {
        #expect(verdict(Craft.vmdk(), as: "raw").reason == "Image data is not in raw format: found vmdk; upload it with disk_format vmdk")
    }
}
