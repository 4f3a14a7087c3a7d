/// Lower-case hexadecimal, as digests are shown. `String(format:)` per byte
/// costs more than the SHA-256 it prints, and token checks do this per request.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func string(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * (2 + separator.utf8.count))
        for byte in bytes {
            if !utf8.isEmpty { utf8.append(contentsOf: separator.utf8) }
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
