/// Recognition of VirtualBox disk images (VDI, little-endian header).
///
/// The file starts with a 64-byte text banner ("<<< Oracle VM VirtualBox Disk Image >>>")
/// followed by the signature 0xbeda107f at offset 64. QEMU's probe looks at the signature
/// only, so recognition does too. Differencing (and undo) images depend on a parent image
/// and are refused, like qcow2 backing files (OSSA-2024-001).
enum VDI {
    static let signature: UInt32 = 0xBEDA_107F
    static let signatureOffset = 64
    static let minimumSize = 68
    static let normalImage: UInt32 = 1, fixedImage: UInt32 = 2, differencingImage: UInt32 = 4

    static func matches(_ head: ByteView) -> Bool { head.u32le(signatureOffset) == signature }

    /// Why a VDI must be refused, or nil if it is a normal (dynamic) or fixed image.
    /// Only header version 1.x is understood: version at 68, image type at 76.
    static func problem(in head: ByteView) -> String? {
        guard let version = head.u32le(68), let imageType = head.u32le(76) else {
            return "vdi header is truncated"
        }
        guard version >> 16 == 1 else {
            return "vdi image has unsupported header version \(version >> 16).\(version & 0xFFFF); refused"
        }
        switch imageType {
        case normalImage, fixedImage:
            return nil
        case differencingImage:
            return "vdi image is a differencing image that depends on a parent image; images with backing files are refused for safety"
        default:
            return "vdi image has unsupported image type \(imageType); only normal and fixed images are accepted"
        }
    }
}
