// libFuzzer entry for public key lines users import: compiled by
// scripts/fuzz/parsers with Sources/NimbusCore.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func sshKeyFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    // As text, and as a blob behind a known type, so the blob's own checks are reached.
    _ = try? SSHPublicKey(String(decoding: bytes, as: UTF8.self))
    let type = SSHPublicKey.knownTypes.sorted()[Int(bytes.first ?? 0) % SSHPublicKey.knownTypes.count]
    _ = try? SSHPublicKey("\(type) \(bytes.dropFirst().base64EncodedString()) comment")
    return 0
}
