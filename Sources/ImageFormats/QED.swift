/// Recognition of QEMU enhanced disk images (QED, magic "QED\0"). QED is not a Glance
/// disk_format, but QEMU probes it and it supports backing files, so data in this format
/// must never pass as raw.
enum QED {
    static let magic: [UInt8] = [0x51, 0x45, 0x44, 0x00]
    static func matches(_ head: ByteView) -> Bool { head.has(magic, at: 0) }
}
