/// Recognition and safety checks of QEMU copy-on-write images (qcow2, big-endian header).
///
/// A qcow2 image can make QEMU open other files on the host: a backing file (header
/// fields `backing_file_offset`/`backing_file_size`) or an external data file
/// (incompatible feature bit 2 plus header extension 0x44415441 naming the file).
/// Both are refused, following OpenStack advisory OSSA-2024-001 (CVE-2024-32498),
/// where a crafted qcow2 made Nova/Glance conversions read arbitrary host files.
/// See https://qemu-project.gitlab.io/qemu/interop/qcow2.html for the layout.
enum QCOW2 {
    /// "QFI\xfb". Also the magic of qcow version 1, which is then refused by version.
    static let magic: [UInt8] = [0x51, 0x46, 0x49, 0xFB]
    /// Size of the version 2 header; version 3 headers are at least `v3HeaderSize`.
    static let v2HeaderSize = 72
    static let v3HeaderSize = 104
    /// Header extension type that names an external data file.
    static let dataFileExtension: UInt32 = 0x4441_5441
    /// Incompatible features QEMU knows: dirty (0), corrupt (1), external data file (2),
    /// compression type (3), extended L2 entries (4).
    static let knownIncompatibleFeatures: UInt64 = 0b1_1111
    static let externalDataFileBit: UInt64 = 1 << 2

    static func matches(_ head: ByteView) -> Bool { head.has(magic, at: 0) }

    /// Why an image carrying the qcow2 magic must be refused, or nil if it is acceptable.
    static func problem(in head: ByteView) -> String? {
        guard let version = head.u32be(4), head.count >= v2HeaderSize else {
            return "qcow2 header is truncated"
        }
        guard version == 2 || version == 3 else {
            return "qcow2 image has unsupported version \(version); only versions 2 and 3 are accepted"
        }
        guard let clusterBits = head.u32be(20), (9 ... 21).contains(clusterBits) else {
            return "qcow2 image has an invalid cluster size (cluster_bits \(head.u32be(20) ?? 0)); refused"
        }
        let clusterSize = 1 << Int(clusterBits)
        if head.u64be(8) != 0 || head.u32be(16) != 0 {
            return "qcow2 image has a backing file; images with backing files are refused for safety"
        }
        var extensionsStart = v2HeaderSize
        if version == 3 {
            guard let incompatible = head.u64be(72), let headerLength = head.u32be(100) else {
                return "qcow2 header is truncated"
            }
            guard let length = Int(exactly: headerLength), length >= v3HeaderSize,
                  length % 8 == 0, length <= clusterSize
            else {
                return "qcow2 image has an invalid header length \(headerLength); refused"
            }
            if incompatible & externalDataFileBit != 0 {
                return "qcow2 image has an external data file; refused for safety"
            }
            let unknown = incompatible & ~knownIncompatibleFeatures
            if unknown != 0 {
                return "qcow2 image uses unknown incompatible features (0x\(String(unknown, radix: 16))); refused for safety"
            }
            extensionsStart = length
        }
        if hasDataFileExtension(head, from: extensionsStart, to: min(head.count, clusterSize)) {
            return "qcow2 image has an external data file; refused for safety"
        }
        return nil
    }

    /// Walks the header extensions (type, length, data padded to 8 bytes; type 0 ends the
    /// list) inside the first cluster and reports whether one names an external data file.
    /// The walk stops at the end marker, at the end of the bytes kept, or at a malformed
    /// length; QEMU ignores a data-file name without incompatible bit 2, which is checked
    /// separately, so a walk cut short cannot hide a usable data file.
    static func hasDataFileExtension(_ head: ByteView, from start: Int, to end: Int) -> Bool {
        var offset = start
        while offset <= end - 8, let type = head.u32be(offset), let rawLength = head.u32be(offset + 4) {
            if type == 0 { return false }
            if type == dataFileExtension { return true }
            guard let length = Int(exactly: rawLength) else { return false }
            offset += 8 + (length + 7) / 8 * 8
        }
        return false
    }
}
