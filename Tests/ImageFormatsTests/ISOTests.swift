import Testing
@testable import ImageFormats

@Suite("ISO 9660 and UDF")
struct ISOTests {
    @Test func plainISOIsAccepted() {
        #expect(verdict(Craft.iso(), as: "iso") == .accepted(detected: .iso))
    }

    @Test func hybridISOWithMBRIsAccepted() {
        let bytes = Craft.iso(hybrid: true)
        #expect(bytes[510] == 0x55 && bytes[511] == 0xAA)
        #expect(verdict(bytes, as: "iso") == .accepted(detected: .iso))
    }

    @Test func hybridISOWithGPTIsAccepted() {
        var bytes = Craft.iso(hybrid: true)
        Craft.put(&bytes, "EFI PART", at: 512)
        #expect(verdict(bytes, as: "iso") == .accepted(detected: .iso))
    }

    @Test func bootRecordBeforePrimaryDescriptorIsAccepted() {
        #expect(verdict(Craft.iso(bootRecordFirst: true), as: "iso") == .accepted(detected: .iso))
    }

    @Test func udfOnlyImageIsAccepted() {
        #expect(verdict(Craft.udf(), as: "iso") == .accepted(detected: .iso))
    }

    @Test func primaryDescriptorAtMinimalLengthIsAccepted() {
        let bytes = Array(Craft.iso().prefix(ISO9660.minimumSize))
        #expect(verdict(bytes, as: "iso") == .accepted(detected: .iso))
        #expect(verdict(Array(bytes.dropLast()), as: "iso").reason?.contains("too short") == true)
    }

    @Test func textDeclaredAsISOIsRefused() {
        let text = Array(String(repeating: "hello, this is not an image\n", count: 2000).utf8)
        #expect(verdict(text, as: "iso")
            == .refused(reason: "Image data is not in iso format: no ISO 9660 volume descriptor at sector 16"))
    }

    @Test func shortDataDeclaredAsISOIsRefusedAsTooShort() {
        #expect(verdict(Array("0123456789".utf8), as: "iso")
            == .refused(reason: "Image data is too short for the iso format (10 bytes)"))
    }

    @Test func wrongDescriptorTypeIsNotISO() {
        var bytes = Craft.iso()
        bytes[16 * 2048] = 7  // not a primary volume descriptor, and not a known one either
        bytes[17 * 2048] = 7
        #expect(ImageInspector.fed(bytes).detectedFormat() == .unknown)
    }

    @Test func qcow2DeclaredAsISOSaysWhatWasFound() {
        #expect(verdict(Craft.qcow2(), as: "iso") == .refused(reason: "Image data is not in iso format: found qcow2"))
    }
}
