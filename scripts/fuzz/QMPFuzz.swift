// libFuzzer entry for what QEMU's monitor socket sends: the line framer and
// the message parser, compiled with Sources/QMP's pure files by scripts/fuzz/parsers.
@_cdecl("LLVMFuzzerTestOneInput")
public func qmpFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte chooses where the stream is cut, as reads would cut it.
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % max(bytes.count, 1)
    var framer = QMPLineFramer(maximumLineLength: 4096)
    do {
        let lines = try framer.append(bytes[..<cut]) + framer.append(bytes[cut...])
        for line in lines { _ = try? QMPMessage(line: line) }
    } catch {}
    return 0
}
