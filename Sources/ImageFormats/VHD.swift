/// Recognition of Microsoft virtual hard disks (VHD, also called "vpc", and VHDX).
///
/// A VHD carries a 512-byte big-endian footer starting with the cookie "conectix": at the
/// end of the data for every VHD (a fixed VHD is raw data plus that footer) and also as a
/// copy at offset 0 for dynamic and differencing VHDs. Differencing disks depend on a
/// parent file and are refused, like qcow2 backing files (OSSA-2024-001).
enum VHD {
    static let footerSize = 512
    static let cookie = "conectix"
    static let diskTypeOffset = 60
    static let fixedDisk: UInt32 = 2, dynamicDisk: UInt32 = 3, differencingDisk: UInt32 = 4

    /// Whether a footer is at the start (dynamic VHD) or in the last 512 bytes (any VHD).
    static func matches(head: ByteView, tail: ByteView) -> Bool {
        footer(head: head, tail: tail) != nil
    }

    /// The footer to trust: the one at the end if present, otherwise the copy at the start.
    static func footer(head: ByteView, tail: ByteView) -> ByteView? {
        if tail.count == footerSize, tail.has(cookie, at: 0) { return tail }
        if head.has(cookie, at: 0) { return head.clipped(0, upTo: footerSize) }
        return nil
    }

    /// Why a VHD must be refused, or nil if it is a fixed or dynamic disk.
    static func problem(head: ByteView, tail: ByteView) -> String? {
        guard let footer = footer(head: head, tail: tail), let diskType = footer.u32be(diskTypeOffset) else {
            return "vhd footer is truncated"
        }
        switch diskType {
        case fixedDisk, dynamicDisk:
            return nil
        case differencingDisk:
            return "vhd image is a differencing disk that depends on a parent file; images with backing files are refused for safety"
        default:
            return "vhd image has unsupported disk type \(diskType); only fixed and dynamic disks are accepted"
        }
    }
}

/// Recognition of VHDX images: the file type identifier "vhdxfile" at offset 0.
///
/// VHDX differencing disks keep their parent locator in the metadata region, often beyond
/// the bytes kept; QEMU refuses to open VHDX images with a parent, so none is checked here.
enum VHDX {
    static let signature = "vhdxfile"
    static func matches(_ head: ByteView) -> Bool { head.has(signature, at: 0) }
}
