// libFuzzer entry for the image format inspector and the ISO 9660 / UDF
// directory reader: compiled with Sources/ImageFormats by scripts/fuzz/parsers.
@_cdecl("LLVMFuzzerTestOneInput")
public func imageFormatsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    FuzzInput.inspect(bytes)
    return 0
}

enum FuzzInput {
    /// Everything an upload's bytes go through: the inspector, fed in uneven
    /// chunks as a socket would, each format's verdict, and the disc's files.
    static func inspect(_ bytes: [UInt8]) {
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
        if let disc = DiscFiles(DiscMemory(bytes)) {
            _ = DetectedOS.detect(disc)
        }
    }
}
