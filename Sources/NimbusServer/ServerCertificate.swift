import Crypto
import Foundation
import Logging
import NIOSSL
import NimbusCore
import SwiftASN1
import X509

/// The certificate `serve` presents over HTTPS: files the operator gave, or
/// one Nimbus makes once and keeps in the data directory.
struct ServerCertificate: Sendable {
    let certificate: URL
    let key: URL
    /// Issued by itself: clients must be handed it as their CA (clouds.yaml's `cacert`).
    let selfIssued: Bool

    /// The certificate for `setting`, made first when it is ours to make.
    static func resolve(_ setting: NimbusConfiguration.TLS, _ configuration: NimbusConfiguration, logger: Logger) throws -> ServerCertificate {
        switch setting {
        case .files(let certificate, let key):
            let given = ServerCertificate(
                certificate: URL(fileURLWithPath: certificate), key: URL(fileURLWithPath: key), selfIssued: false)
            let parsed = try given.parsed()
            return ServerCertificate(certificate: given.certificate, key: given.key, selfIssued: parsed.issuer == parsed.subject)
        case .selfSigned:
            let kept = ServerCertificate(certificate: configuration.selfSignedCertificate, key: configuration.selfSignedKey, selfIssued: true)
            let names = subjectNames(for: configuration)
            let reason: String
            if !FileManager.default.fileExists(atPath: kept.certificate.path) {
                reason = "none yet"
            } else {
                do {
                    let existing = try kept.parsed()
                    let covered = Array(try existing.extensions.subjectAlternativeNames ?? SubjectAlternativeNames())
                    if existing.notValidAfter <= Date().addingTimeInterval(30 * 86_400) {
                        reason = "the kept one expires within 30 days"
                    } else if let missing = names.first(where: { !covered.contains($0) }) {
                        reason = "the kept one does not name \(Self.describe(missing))"
                    } else {
                        return kept
                    }
                } catch {
                    reason = "the kept one does not parse: \(error)"
                }
            }
            try makeSelfSigned(certificate: kept.certificate, key: kept.key, names: names)
            logger.notice("made a self-signed certificate; clients trust it through clouds.yaml's cacert", metadata: [
                "certificate": "\(kept.certificate.path)", "names": "\(names.map(Self.describe).joined(separator: ", "))", "reason": "\(reason)",
            ])
            return kept
        }
    }

    /// TLS 1.2 and later with BoringSSL's default (forward-secret, AEAD) suites.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate.path).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key.path, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    private func parsed() throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOf: certificate, encoding: .utf8))
    }

    /// The names clients may use: loopback, this machine's name, and the
    /// listening and public hosts.
    static func subjectNames(for configuration: NimbusConfiguration) -> [GeneralName] {
        var hosts = ["localhost", "127.0.0.1", "::1", ProcessInfo.processInfo.hostName, configuration.host]
        if let publicHost = URLComponents(string: configuration.baseURL)?.host { hosts.append(publicHost) }
        var names: [GeneralName] = []
        for host in hosts {
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            // A wildcard address is where we listen, never a name a client uses.
            guard !bare.isEmpty, bare != "0.0.0.0", bare != "::" else { continue }
            let name: GeneralName = ipAddressBytes(bare).map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) } ?? .dnsName(bare)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let host): host
        case .ipAddress(let address):
            Array(address.bytes).withUnsafeBytes { raw in
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                let family = raw.count == 4 ? AF_INET : AF_INET6
                guard inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil else { return "\(address)" }
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        default: "\(name)"
        }
    }

    /// A P-256 key and a certificate for `names` valid ten years, marked a CA
    /// as `openssl req -x509` marks it, so that clients may trust it as their
    /// own root. The key is written owner-only before it holds anything.
    static func makeSelfSigned(certificate: URL, key: URL, names: [GeneralName]) throws {
        let directory = certificate.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let privateKey = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(privateKey.publicKey)
        let name = try DistinguishedName {
            OrganizationName("Nimbus")
            CommonName("nimbus \(ProcessInfo.processInfo.hostName)")
        }
        let identifier = SubjectKeyIdentifier(hash: publicKey)
        let now = Date()
        let issued = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                identifier
                AuthorityKeyIdentifier(keyIdentifier: identifier.keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
        try AtomicFile.write(Data(privateKey.pemRepresentation.utf8), to: key, mode: 0o600)
        try AtomicFile.write(Data(try issued.serializeAsPEM().pemString.utf8), to: certificate, mode: 0o644)
    }
}
