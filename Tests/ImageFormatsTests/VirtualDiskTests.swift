import Testing
@testable import ImageFormats

@Suite("vhd, vhdx, vdi, ploop")
struct VirtualDiskTests {
    @Test func fixedVHDFooterAtTheEndIsAccepted() {
        let bytes = Craft.noise(8192) + Craft.vhdFooter(diskType: 2)
        #expect(verdict(bytes, as: "vhd") == .accepted(detected: .vhd))
    }

    @Test func dynamicVHDWithFooterCopyAtTheStartIsAccepted() {
        let footer = Craft.vhdFooter(diskType: 3)
        #expect(verdict(footer + [UInt8](repeating: 0, count: 4096) + footer, as: "vhd") == .accepted(detected: .vhd))
        // The copy at offset 0 alone is enough to recognise it.
        #expect(verdict(footer + [UInt8](repeating: 0, count: 4096), as: "vhd") == .accepted(detected: .vhd))
    }

    @Test func differencingVHDIsRefused() {
        let footer = Craft.vhdFooter(diskType: 4)
        #expect(verdict(footer + [UInt8](repeating: 0, count: 4096) + footer, as: "vhd").reason?
            .contains("differencing disk") == true)
    }

    @Test func unknownVHDDiskTypeIsRefused() {
        #expect(verdict(Craft.vhdFooter(diskType: 9), as: "vhd").reason?.contains("unsupported disk type 9") == true)
    }

    @Test func vhdWithoutFooterIsRefused() {
        #expect(verdict(Craft.noise(4096), as: "vhd")
            == .refused(reason: "Image data is not in vhd format: no VHD footer (\"conectix\") at the end of the data"))
        #expect(verdict(Craft.noise(100), as: "vhd") == .refused(reason: "Image data is too short for the vhd format (100 bytes)"))
    }

    @Test func truncatedVHDFooterCopyIsRefused() {
        #expect(verdict(Array(Craft.vhdFooter().prefix(40)), as: "vhd") == .refused(reason: "vhd footer is truncated"))
    }

    @Test func vhdDeclaredAsRawIsRefused() {
        #expect(verdict(Craft.noise(4096) + Craft.vhdFooter(), as: "raw").reason?.contains("found vhd") == true)
    }

    @Test func vhdxIsAccepted() {
        #expect(verdict(Craft.vhdx(), as: "vhdx") == .accepted(detected: .vhdx))
        #expect(verdict(Craft.vhdx(), as: "raw").reason?.contains("found vhdx") == true)
        #expect(verdict(Craft.iso(), as: "vhdx").reason?.contains("found iso") == true)
    }

    @Test(arguments: [UInt32(1), 2])
    func vdiIsAccepted(imageType: UInt32) {
        #expect(verdict(Craft.vdi(imageType: imageType), as: "vdi") == .accepted(detected: .vdi))
    }

    @Test func differencingVDIIsRefused() {
        #expect(verdict(Craft.vdi(imageType: 4), as: "vdi").reason?.contains("differencing image") == true)
        #expect(verdict(Craft.vdi(imageType: 3), as: "vdi").reason?.contains("unsupported image type 3") == true)
    }

    @Test func vdiDeclaredAsRawIsRefused() {
        #expect(verdict(Craft.vdi(), as: "raw").reason?.contains("found vdi") == true)
    }

    @Test func truncatedVDIIsRefused() {
        #expect(verdict(Array(Craft.vdi().prefix(72)), as: "vdi") == .refused(reason: "vdi header is truncated"))
    }

    @Test(arguments: [false, true])
    func ploopIsAccepted(extended: Bool) {
        #expect(verdict(Craft.ploop(extended: extended), as: "ploop") == .accepted(detected: .ploop))
    }

    @Test func ploopDeclaredAsRawIsRefused() {
        #expect(verdict(Craft.ploop(), as: "raw").reason?.contains("found ploop") == true)
    }
}
