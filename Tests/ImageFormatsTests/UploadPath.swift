// Shared by the fuzz regression test and scripts/fuzz/parsers, which
// compiles this file into one module with Sources/ImageFormats.
#if canImport(ImageFormats)
import ImageFormats
#endif

/// What an upload's bytes go through, run on any bytes: the inspector fed in
/// uneven chunks as a socket would, each format's verdict, and the disc's files.
enum UploadPath {
    @discardableResult
    static func exercise(_ bytes: [UInt8]) -> ImageInspector {
        var inspector = ImageInspector()
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            inspector.consume(Array(bytes[offset..<end]))
            offset = end
            step = step * 3 + 1
        }
        _ = inspector.detectedFormat()
        for format in ["raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "ploop", "iso", "ami", "aki", "ari"] {
            _ = inspector.verdict(declaredDiskFormat: format)
        }
        if let disc = DiscFiles(DiscMemory(bytes)) { _ = DetectedOS.detect(disc) }
        return inspector
    }
}
