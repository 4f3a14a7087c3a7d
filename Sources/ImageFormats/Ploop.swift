/// Recognition of Virtuozzo/OpenVZ ploop images (QEMU's "parallels" format): the
/// signature "WithoutFreeSpace" or "WithouFreSpacExt" at offset 0.
enum Ploop {
    static let signatures = ["WithoutFreeSpace", "WithouFreSpacExt"]
    static let minimumSize = 16
    static func matches(_ head: ByteView) -> Bool { signatures.contains { head.has($0, at: 0) } }
}
