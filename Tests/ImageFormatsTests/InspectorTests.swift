import Testing
@testable import ImageFormats

@Suite("Declared formats and streaming")
struct InspectorTests {
    static let allFormats = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]

    /// Named samples covering every recognised format plus refusals.
    static let samples: [(String, [UInt8])] = [
        ("iso", Craft.iso(hybrid: true)), ("udf", Craft.udf()), ("qcow2", Craft.qcow2()),
        ("qcow2-backing", Craft.qcow2(backingFile: true)),
        ("qcow2-datafile", Craft.qcow2(extensions: [(0x4441_5441, Array("x.raw".utf8))])),
        ("vmdk", Craft.vmdk()), ("vmdk-other", Craft.vmdk(extents: [#"RW 1 FLAT "other.vmdk" 0"#])),
        ("vmdk-text", Craft.vmdkDescriptorFile()), ("vhd", Craft.noise(5000) + Craft.vhdFooter()),
        ("vhdx", Craft.vhdx()), ("vdi", Craft.vdi()), ("ploop", Craft.ploop()),
        ("noise", Craft.noise(70000)), ("short", [1, 2, 3]),
    ]

    @Test func emptyDataIsRefusedForEveryFormat() {
        for format in Self.allFormats {
            #expect(verdict([], as: format) == .refused(reason: "Image data is empty"), "\(format)")
        }
    }

    @Test(arguments: ["", "ISO", "qcow", "docker", "ova", "raw "])
    func unknownDeclaredFormatIsRefusedWithTheAllowedList(format: String) {
        #expect(verdict(Craft.iso(), as: format) == .refused(
            reason: "Unknown disk_format \"\(format)\"; allowed formats are ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop"))
    }

    @Test func randomBytesAreRaw() {
        let inspector = ImageInspector.fed(Craft.noise(300_000))
        #expect(inspector.detectedFormat() == .unknown)
        #expect(inspector.verdict(declaredDiskFormat: "raw") == .accepted(detected: .unknown))
        #expect(inspector.verdict(declaredDiskFormat: "ami") == .accepted(detected: .unknown))
    }

    @Test func isoDeclaredAsRawIsAccepted() {
        #expect(verdict(Craft.iso(hybrid: true), as: "raw") == .accepted(detected: .iso))
        #expect(verdict(Craft.iso(), as: "ami") == .accepted(detected: .iso))
    }

    @Test func amiFollowsTheRawRule() {
        #expect(verdict(Craft.qcow2(), as: "ami")
            == .refused(reason: "Image data is not in ami format: found qcow2; upload it with disk_format qcow2"))
    }

    @Test(arguments: ["aki", "ari"])
    func kernelAndRamdiskImagesAcceptAnything(format: String) {
        #expect(verdict(Craft.noise(1000), as: format) == .accepted(detected: .unknown))
        #expect(verdict([0x7F], as: format) == .accepted(detected: .unknown))
        #expect(verdict(Craft.qcow2(), as: format) == .accepted(detected: .qcow2))
    }

    @Test func qedDeclaredAsRawIsRefused() {
        var bytes = Craft.noise(4096)
        Craft.put(&bytes, [0x51, 0x45, 0x44, 0x00], at: 0)
        #expect(verdict(bytes, as: "raw").reason?.contains("QED") == true)
    }

    @Test(arguments: [1, 7, 511, 512, 513, 4095, 65537])
    func chunkedFeedingGivesTheSameVerdicts(chunkSize: Int) {
        for (name, bytes) in Self.samples {
            let whole = ImageInspector.fed(bytes)
            let chunked = ImageInspector.fed(bytes, chunkSize: chunkSize)
            #expect(chunked.byteCount == Int64(bytes.count), "\(name)")
            #expect(chunked.detectedFormat() == whole.detectedFormat(), "\(name)")
            for format in Self.allFormats {
                #expect(chunked.verdict(declaredDiskFormat: format) == whole.verdict(declaredDiskFormat: format), "\(name) as \(format)")
            }
        }
    }

    @Test func emptyChunksChangeNothing() {
        var inspector = ImageInspector()
        inspector.consume([])
        inspector.consume(Craft.qcow2())
        inspector.consume([])
        #expect(inspector.verdict(declaredDiskFormat: "qcow2") == .accepted(detected: .qcow2))
    }

    @Test func onlyHeadAndTailAreKeptOfAMultiMegabyteFeed() {
        var inspector = ImageInspector()
        let zeros = [UInt8](repeating: 0, count: 3 << 20)
        for start in stride(from: 0, to: zeros.count, by: 100_003) {
            zeros[start ..< min(start + 100_003, zeros.count)].withUnsafeBytes { inspector.consume($0) }
        }
        inspector.consume(Craft.vhdFooter())
        #expect(inspector.byteCount == Int64(3 << 20) + 512)
        #expect(inspector.retainedByteCount == ImageInspector.headCapacity + 512)
        #expect(inspector.detectedFormat() == .vhd)
        #expect(inspector.verdict(declaredDiskFormat: "vhd") == .accepted(detected: .vhd))
        #expect(inspector.verdict(declaredDiskFormat: "raw").reason?.contains("found vhd") == true)
    }

    @Test func headersBeyondTheHeadAreNotSeen() {
        var inspector = ImageInspector()
        inspector.consume([UInt8](repeating: 0, count: ImageInspector.headCapacity))
        inspector.consume(Craft.qcow2() + [UInt8](repeating: 0, count: 1024))
        #expect(inspector.detectedFormat() == .unknown)
        #expect(inspector.verdict(declaredDiskFormat: "raw") == .accepted(detected: .unknown))
    }

    @Test func oneHugeChunkKeepsTheBound() {
        var inspector = ImageInspector()
        inspector.consume(Craft.iso() + [UInt8](repeating: 0, count: 2 << 20))
        #expect(inspector.retainedByteCount == ImageInspector.headCapacity + 512)
        #expect(inspector.verdict(declaredDiskFormat: "iso") == .accepted(detected: .iso))
    }

    @Test func malformedInputNeverTraps() {
        // Every prefix length of every sample, and every sample with bytes flipped, as every format.
        for (_, bytes) in Self.samples {
            for length in [0, 1, 3, 4, 8, 63, 64, 67, 68, 71, 72, 79, 80, 103, 104, 511, 512, 513, 1024, 32_768, 32_773, 32_774] {
                let prefix = Array(bytes.prefix(length))
                for format in Self.allFormats { _ = verdict(prefix, as: format) }
            }
            var mangled = bytes
            for index in stride(from: 4, to: min(mangled.count, 4096), by: 3) { mangled[index] = ~mangled[index] }
            for format in Self.allFormats { _ = verdict(mangled, as: format) }
        }
    }
}
