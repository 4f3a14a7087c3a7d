import Crypto
import Foundation
import NimbusCore
import _CryptoExtras

/// Nova's x509 key pairs (2.2): a self-signed certificate a Windows guest
/// trusts for WinRM certificate logins (cloudbase-init reads it from the
/// metadata), generated with its private key, or imported as PEM.
enum X509Keys {
    struct Generated {
        /// The certificate, PEM.
        var certificate: String
        /// The RSA private key, PEM (PKCS #8), given to the user once.
        var privateKey: String
        var fingerprint: String
    }

    /// A 2048-bit RSA key and a certificate for it, valid ten years, whose
    /// subject is the key pair's name, as Nova makes them.
    static func generate(commonName: String, now: Date = Date()) throws -> Generated {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = DER.sequence([DER.set([DER.sequence([DER.oid([2, 5, 4, 3]), DER.utf8String(commonName)])])])
        let sha256WithRSA = DER.sequence([DER.oid([1, 2, 840, 113_549, 1, 1, 11]), DER.null])
        var serial = [UInt8](repeating: 0, count: 16)
        for index in serial.indices { serial[index] = UInt8.random(in: 0...255) }
        serial[0] &= 0x7F  // positive
        let tbs = DER.sequence([
            DER.explicit(0, DER.integer([2])),  // v3
            DER.integer(serial),
            sha256WithRSA,
            name,
            DER.sequence([DER.time(now), DER.time(now.addingTimeInterval(10 * 365 * 86_400))]),
            name,
            [UInt8](key.publicKey.derRepresentation),
        ])
        let signature = try key.signature(for: SHA256.hash(data: tbs), padding: .insecurePKCS1v1_5)
        let certificate = DER.sequence([tbs, sha256WithRSA, DER.bitString([UInt8](signature.rawRepresentation))])
        return Generated(
            certificate: pem(certificate, label: "CERTIFICATE"), privateKey: key.pemRepresentation,
            fingerprint: fingerprint(Data(certificate)))
    }

    /// An imported certificate: PEM with one CERTIFICATE block; its fingerprint.
    static func validate(_ text: String) throws -> (certificate: String, fingerprint: String) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN CERTIFICATE-----"),
              let end = lines.firstIndex(of: "-----END CERTIFICATE-----"), begin < end,
              let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()), der.first == 0x30, der.count > 64
        else { throw NimbusError.badRequest("Keypair data is invalid: failed to generate fingerprint: not a PEM X.509 certificate.") }
        return (pem([UInt8](der), label: "CERTIFICATE"), fingerprint(der))
    }

    /// Nova's x509 fingerprint: the SHA-1 of the DER certificate, colon-separated hex.
    static func fingerprint(_ der: Data) -> String {
        Hex.string(Insecure.SHA1.hash(data: der), separator: ":")
    }

    static func pem(_ der: [UInt8], label: String) -> String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }
}

/// Just enough DER to write a certificate.
enum DER {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8]
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var bytes: [UInt8] = []
            var remaining = content.count
            while remaining > 0 {
                bytes.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            length = [0x80 | UInt8(bytes.count)] + bytes
        }
        return [tag] + length + content
    }

    static func sequence(_ items: [[UInt8]]) -> [UInt8] { element(0x30, items.flatMap { $0 }) }
    static func set(_ items: [[UInt8]]) -> [UInt8] { element(0x31, items.flatMap { $0 }) }
    static func explicit(_ number: UInt8, _ inner: [UInt8]) -> [UInt8] { element(0xA0 | number, inner) }
    static let null: [UInt8] = [0x05, 0x00]

    /// A non-negative integer from its big-endian bytes.
    static func integer(_ bytes: [UInt8]) -> [UInt8] {
        var trimmed = Array(bytes.drop { $0 == 0 })
        if trimmed.isEmpty { trimmed = [0] }
        if trimmed[0] & 0x80 != 0 { trimmed.insert(0, at: 0) }
        return element(0x02, trimmed)
    }

    static func oid(_ arcs: [UInt]) -> [UInt8] {
        var content = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7F)]
            var rest = arc >> 7
            while rest > 0 {
                chunk.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
                rest >>= 7
            }
            content += chunk
        }
        return element(0x06, content)
    }

    static func utf8String(_ text: String) -> [UInt8] { element(0x0C, Array(text.utf8)) }
    static func bitString(_ bytes: [UInt8]) -> [UInt8] { element(0x03, [0] + bytes) }

    /// UTCTime until 2049, GeneralizedTime after, as RFC 5280 asks.
    static func time(_ date: Date) -> [UInt8] {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        let rest = String(format: "%02d%02d%02d%02d%02dZ", Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if year < 2050 { return element(0x17, Array((String(format: "%02d", year % 100) + rest).utf8)) }
        return element(0x18, Array((String(format: "%04d", year) + rest).utf8))
    }
}
