// libFuzzer entry for the image format inspector and the ISO 9660 / UDF
// directory reader: compiled by scripts/fuzz/parsers with Sources/ImageFormats
// and Tests/ImageFormatsTests/UploadPath.swift, which the test suite shares.
@_cdecl("LLVMFuzzerTestOneInput")
public func imageFormatsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    UploadPath.exercise(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
