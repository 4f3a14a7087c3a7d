import Foundation

/// A public key line as users import it (`ssh-ed25519 AAAA… me@laptop`):
/// a known type, then a base64 blob whose SSH wire fields are exactly what
/// that type holds (Nova refuses what `cryptography` cannot load; a key cut
/// short in a copy and paste must not reach a guest's authorized_keys), and
/// nothing else but an optional comment. Pure, so it is fuzzed
/// (scripts/fuzz/parsers).
public struct SSHPublicKey: Sendable, Equatable {
    public static let knownTypes: Set<String> = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]

    /// The line with surrounding space trimmed and fields joined by one space.
    public let line: String
    /// The decoded key blob, what the fingerprint is taken of.
    public let blob: Data

    public init(_ text: String) throws(NimbusError) {
        let invalid = NimbusError.badRequest("Keypair data is invalid: failed to generate fingerprint")
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count >= 2, Self.knownTypes.contains(parts[0]), let blob = Data(base64Encoded: parts[1]) else { throw invalid }
        var fields = WireReader(Array(blob))
        guard let type = fields.string(), String(decoding: type, as: UTF8.self) == parts[0], Self.keyFieldsFit(parts[0], &fields), fields.isAtEnd else {
            throw invalid
        }
        line = parts.joined(separator: " ")
        self.blob = blob
    }

    /// Whether the fields after the type are the ones the type holds, of sane sizes.
    private static func keyFieldsFit(_ type: String, _ fields: inout WireReader) -> Bool {
        switch type {
        case "ssh-ed25519":
            return fields.string()?.count == 32
        case "ssh-rsa":
            // The exponent and the modulus, positive; a modulus of 1024 to 16384 bits.
            guard let exponent = fields.string(), !exponent.isEmpty, exponent.first! < 0x80,
                  let modulus = fields.string(), modulus.first.map({ $0 < 0x80 }) == true else { return false }
            return (128...2048).contains(modulus.drop { $0 == 0 }.count)
        default:
            // ecdsa-sha2-<curve>: the curve's name again, then an uncompressed point.
            let curve = String(type.dropFirst("ecdsa-sha2-".count))
            let pointSize = ["nistp256": 65, "nistp384": 97, "nistp521": 133][curve]
            guard let name = fields.string(), String(decoding: name, as: UTF8.self) == curve, let point = fields.string() else { return false }
            return point.count == pointSize && point.first == 0x04
        }
    }
}

/// SSH's wire format: strings as a 32-bit big-endian length and that many bytes.
private struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func string() -> ArraySlice<UInt8>? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count - offset - 4 >= length else { return nil }
        defer { offset += 4 + length }
        return bytes[offset + 4..<offset + 4 + length]
    }
}
