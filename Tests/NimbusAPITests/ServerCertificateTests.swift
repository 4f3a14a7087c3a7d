import Foundation
import Logging
import NimbusCore
import SwiftASN1
import Testing
import X509
@testable import NimbusServer

@Suite("HTTPS set-up: the self-signed certificate and clouds.yaml")
struct ServerCertificateTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-tls-\(UUID().uuidString)")

    func configuration(host: String = "127.0.0.1") -> NimbusConfiguration {
        var configuration = NimbusConfiguration(dataDirectory: directory, host: host, port: 8774)
        configuration.tls = .selfSigned
        return configuration
    }

    @Test("made once with an owner-only key, for loopback and the listening host; kept across starts; made again when a new host is not covered")
    func selfSignedLifecycle() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "test")
        let first = try ServerCertificate.resolve(.selfSigned, configuration(), logger: logger)
        #expect(first.selfIssued)
        let mode = try FileManager.default.attributesOfItem(atPath: first.key.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let certificate = try parse(first.certificate)
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("localhost")) && names.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))), "\(names)")
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0), "clients trust it as their own root")
        #expect(certificate.issuer == certificate.subject)
        _ = try first.serverConfiguration()

        let issued = try Data(contentsOf: first.certificate)
        _ = try ServerCertificate.resolve(.selfSigned, configuration(), logger: logger)
        #expect(try Data(contentsOf: first.certificate) == issued, "a second start keeps the certificate")

        _ = try ServerCertificate.resolve(.selfSigned, configuration(host: "10.1.2.3"), logger: logger)
        #expect(try Data(contentsOf: first.certificate) != issued)
        let widened = try #require(try parse(first.certificate).extensions.subjectAlternativeNames)
        #expect(widened.contains(.ipAddress(ASN1OctetString(contentBytes: [10, 1, 2, 3]))), "\(widened)")

        let given = try ServerCertificate.resolve(.files(certificate: first.certificate.path, key: first.key.path), configuration(), logger: logger)
        #expect(given.selfIssued, "a given certificate that issued itself is named as clients' cacert too")
    }

    @Test("the URL is https under TLS; loopback is told from the rest")
    func configurationURL() {
        var configuration = NimbusConfiguration(dataDirectory: directory, host: "0.0.0.0", port: 8774)
        #expect(configuration.baseURL == "http://0.0.0.0:8774" && !configuration.listensOnLoopback)
        configuration.tls = .selfSigned
        #expect(configuration.baseURL == "https://0.0.0.0:8774")
        for host in ["127.0.0.1", "127.8.9.1", "localhost", "::1"] {
            #expect(NimbusConfiguration(dataDirectory: directory, host: host).listensOnLoopback, "\(host)")
        }
        #expect(ServerCertificate.subjectNames(for: configuration).allSatisfy { ServerCertificate.describe($0) != "0.0.0.0" })
    }

    @Test("clouds.yaml names the cacert; a restart points it at the current address and adds or drops the cacert")
    func cloudsYAML() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("clouds.yaml")
        try CloudsYAML.write(to: file, authURL: "https://127.0.0.1:1/identity", password: "pw\"x", caCertificate: "/d/tls/nimbus.crt")
        var text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("  nimbus:\n    cacert: \"/d/tls/nimbus.crt\"\n    auth:\n      auth_url: https://127.0.0.1:1/identity\n"), "\(text)")
        #expect(text.contains("password: \"pw\\\"x\""))

        try CloudsYAML.write(to: file, authURL: "http://127.0.0.1:2/identity", password: nil, caCertificate: nil)
        text = try String(contentsOf: file, encoding: .utf8)
        #expect(!text.contains("cacert") && text.contains("auth_url: http://127.0.0.1:2/identity") && text.contains("password: \"pw\\\"x\""), "\(text)")

        try CloudsYAML.write(to: file, authURL: "https://127.0.0.1:3/identity", password: nil, caCertificate: "/e/nimbus.crt")
        text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.components(separatedBy: "cacert:").count == 2 && text.contains("  nimbus:\n    cacert: \"/e/nimbus.crt\"\n"), "\(text)")
    }

    func parse(_ file: URL) throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOf: file, encoding: .utf8))
    }
}
