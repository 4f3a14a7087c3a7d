@testable import ImageFormats

/// Builders of minimal, hand-crafted image headers for the tests.
enum Craft {
    static func put(_ bytes: inout [UInt8], _ ascii: String, at offset: Int) {
        put(&bytes, Array(ascii.utf8), at: offset)
    }

    static func put(_ bytes: inout [UInt8], _ raw: [UInt8], at offset: Int) {
        if bytes.count < offset + raw.count { bytes += [UInt8](repeating: 0, count: offset + raw.count - bytes.count) }
        bytes.replaceSubrange(offset ..< offset + raw.count, with: raw)
    }

    static func integer<T: FixedWidthInteger>(_ value: T, bigEndian: Bool) -> [UInt8] {
        let size = T.bitWidth / 8
        return (0 ..< size).map { index in
            UInt8(truncatingIfNeeded: value >> ((bigEndian ? size - 1 - index : index) * 8))
        }
    }

    static func be<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T, at offset: Int) {
        put(&bytes, integer(value, bigEndian: true), at: offset)
    }

    static func le<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T, at offset: Int) {
        put(&bytes, integer(value, bigEndian: false), at: offset)
    }

    /// Deterministic pseudo-random bytes (xorshift64).
    static func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0 ..< count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// An ISO 9660 image: primary volume descriptor at sector 16, set terminator at 17.
    /// `hybrid` adds an MBR boot signature (0x55AA at 510) like isohybrid images have.
    static func iso(sectors: Int = 40, hybrid: Bool = false, bootRecordFirst: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: sectors * 2048)
        var sector = 16
        if bootRecordFirst {
            put(&bytes, [0] + Array("CD001".utf8) + [1] + Array("EL TORITO SPECIFICATION".utf8), at: sector * 2048)
            sector += 1
        }
        put(&bytes, [1] + Array("CD001".utf8) + [1], at: sector * 2048)
        put(&bytes, [255] + Array("CD001".utf8) + [1], at: (sector + 1) * 2048)
        if hybrid {
            put(&bytes, [0xEB, 0x63, 0x90], at: 0)
            put(&bytes, [0x55, 0xAA], at: 510)
        }
        return bytes
    }

    /// A UDF-only image: volume recognition sequence BEA01, NSR03, TEA01 at sectors 16-18.
    static func udf() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 40 * 2048)
        for (index, id) in ["BEA01", "NSR03", "TEA01"].enumerated() {
            put(&bytes, [0] + Array(id.utf8) + [1], at: (16 + index) * 2048)
        }
        return bytes
    }

    /// A qcow2 header (big-endian) in a 64 KiB first cluster.
    static func qcow2(
        version: UInt32 = 3, backingFile: Bool = false, clusterBits: UInt32 = 16,
        incompatible: UInt64 = 0, headerLength: UInt32 = 104, extensions: [(UInt32, [UInt8])] = [],
        size: Int = 65536
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        put(&bytes, [0x51, 0x46, 0x49, 0xFB], at: 0)
        be(&bytes, version, at: 4)
        if backingFile {
            be(&bytes, UInt64(512), at: 8)
            be(&bytes, UInt32(8), at: 16)
            put(&bytes, "base.raw", at: 512)
        }
        be(&bytes, clusterBits, at: 20)
        be(&bytes, UInt64(1 << 30), at: 24)
        var offset = 72
        if version == 3 {
            be(&bytes, incompatible, at: 72)
            be(&bytes, UInt32(4), at: 96)
            be(&bytes, headerLength, at: 100)
            offset = Int(headerLength)
        }
        for (type, data) in extensions {
            be(&bytes, type, at: offset)
            be(&bytes, UInt32(data.count), at: offset + 4)
            put(&bytes, data, at: offset + 8)
            offset += 8 + (data.count + 7) / 8 * 8
        }
        return Array(bytes.prefix(size))
    }

    /// A VMDK sparse extent ("KDMV", little-endian) with its descriptor at sector 1.
    static func vmdk(
        createType: String = "monolithicSparse", capacity: UInt64 = 2048,
        extents: [String] = [#"RW 2048 SPARSE "disk.vmdk""#], extraLines: [String] = [],
        lineEnding: String = "\n", descriptorSector: UInt64 = 1
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64 * 1024)
        put(&bytes, "KDMV", at: 0)
        le(&bytes, UInt32(1), at: 4)
        le(&bytes, UInt32(3), at: 8)
        le(&bytes, capacity, at: 12)
        le(&bytes, UInt64(128), at: 20)
        le(&bytes, descriptorSector, at: 28)
        le(&bytes, UInt64(20), at: 36)
        le(&bytes, UInt32(512), at: 44)
        let lines = ["# Disk DescriptorFile", "version=1", "CID=fffffffe", "parentCID=ffffffff",
                     "createType=\"\(createType)\"", "", "# Extent description"] + extents
            + ["", "# The Disk Data Base", "#DDB", "", #"ddb.virtualHWVersion = "4""#] + extraLines
        let text = lines.joined(separator: lineEnding) + lineEnding
        let (position, overflow) = descriptorSector.multipliedReportingOverflow(by: 512)
        if !overflow, descriptorSector != 0, let offset = Int(exactly: position), offset + text.utf8.count <= bytes.count {
            put(&bytes, text, at: offset)
        }
        return bytes
    }

    /// A plain-text VMDK descriptor file pointing at a flat extent.
    static func vmdkDescriptorFile(header: String = "# Disk DescriptorFile\n") -> [UInt8] {
        Array((header + "version=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"
            + "RW 2048 FLAT \"/etc/shadow\" 0\n").utf8)
    }

    /// A 512-byte VHD footer (big-endian) with the given disk type (2 fixed, 3 dynamic, 4 differencing).
    static func vhdFooter(diskType: UInt32 = 2) -> [UInt8] {
        var footer = [UInt8](repeating: 0, count: 512)
        put(&footer, "conectix", at: 0)
        be(&footer, UInt32(2), at: 8)
        be(&footer, UInt32(0x0001_0000), at: 12)
        be(&footer, diskType == 2 ? UInt64.max : 512, at: 16)
        be(&footer, diskType, at: 60)
        return footer
    }

    static func vhdx() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 256 * 1024)
        put(&bytes, "vhdxfile", at: 0)
        put(&bytes, "head", at: 64 * 1024)
        return bytes
    }

    /// A VDI header, version 1.1, with the given image type (1 normal, 2 fixed, 4 differencing).
    static func vdi(imageType: UInt32 = 1) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4096)
        put(&bytes, "<<< Oracle VM VirtualBox Disk Image >>>\n", at: 0)
        le(&bytes, UInt32(0xBEDA_107F), at: 64)
        le(&bytes, UInt32(0x0001_0001), at: 68)
        le(&bytes, UInt32(400), at: 72)
        le(&bytes, imageType, at: 76)
        return bytes
    }

    static func ploop(extended: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4096)
        put(&bytes, extended ? "WithouFreSpacExt" : "WithoutFreeSpace", at: 0)
        return bytes
    }
}

extension ImageInspector {
    /// An inspector fed `bytes` in chunks of `chunkSize` (one chunk if nil).
    static func fed(_ bytes: [UInt8], chunkSize: Int? = nil) -> ImageInspector {
        var inspector = ImageInspector()
        let size = max(chunkSize ?? bytes.count, 1)
        var start = 0
        while start < bytes.count {
            inspector.consume(Array(bytes[start ..< min(start + size, bytes.count)]))
            start += size
        }
        return inspector
    }
}

/// The verdict for `bytes` declared as `format`.
func verdict(_ bytes: [UInt8], as format: String, chunkSize: Int? = nil) -> InspectionVerdict {
    ImageInspector.fed(bytes, chunkSize: chunkSize).verdict(declaredDiskFormat: format)
}

extension InspectionVerdict {
    /// The refusal reason, or nil when accepted.
    var reason: String? {
        if case .refused(let reason) = self { return reason }
        return nil
    }
}
