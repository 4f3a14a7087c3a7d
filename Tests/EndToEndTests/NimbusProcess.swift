import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real `nimbus serve` on a free loopback port with its own data directory.
/// Stopped with SIGTERM when the test ends; its log is printed when a test failed.
final class NimbusProcess: @unchecked Sendable {
    static let adminPassword = "e2e-admin-secret"

    let dataDirectory: URL
    let port: Int
    let process = Process()
    let logURL: URL

    /// Started with `--tls-self-signed`: HTTPS with the certificate it keeps.
    let selfSigned: Bool
    var baseURL: String { "\(selfSigned ? "https" : "http")://127.0.0.1:\(port)" }
    var certificate: URL { dataDirectory.appendingPathComponent("tls/nimbus.crt") }
    var cloudsYAML: URL { dataDirectory.appendingPathComponent("clouds.yaml") }
    var blobsDirectory: URL { dataDirectory.appendingPathComponent("blobs") }

    /// Whether deinit removes the data directory (not when another process reuses it).
    private let ownsDataDirectory: Bool

    /// Starts on a new data directory, or on `reusing` one left by an earlier process.
    /// Guests run under TCG unless `accelerator` says otherwise: probing KVM at
    /// every start would only add load to these tests.
    init(reusing existing: URL? = nil, accelerator: String = "tcg", selfSigned: Bool = false, environment extra: [String: String] = [:]) async throws {
        self.selfSigned = selfSigned
        dataDirectory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-e2e-\(UUID().uuidString)")
        ownsDataDirectory = existing == nil
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        port = try Self.freePort()
        logURL = dataDirectory.appendingPathComponent("serve-\(port).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = Repository.nimbusBinary
        process.arguments = ["serve", "--data-dir", dataDirectory.path, "--listen", "127.0.0.1:\(port)"] + (selfSigned ? ["--tls-self-signed"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["NIMBUS_ADMIN_PASSWORD"] = Self.adminPassword
        environment["NIMBUS_ACCELERATOR"] = accelerator
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try await waitUntilServing()
    }

    /// Polls the identity root until it answers; fails with the server log if it never does.
    private func waitUntilServing() async throws {
        for _ in 0..<300 {
            if !process.isRunning { break }
            if selfSigned {
                // URLSession here cannot be given a CA; Python checks the certificate as a client would.
                let python = Repository.openstackClient.deletingLastPathComponent().appendingPathComponent("python3")
                let probe = try? run(python, ["-c", Self.httpsStatus, certificate.path, "\(baseURL)/identity"])
                if probe?.stdout == "300" { return }
            } else if let url = URL(string: "\(baseURL)/identity"),
               let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 300 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw E2EError("nimbus serve did not start:\n\(log())")
    }

    /// Prints the HTTP status of GET argv[2], trusting only the CA in argv[1].
    static let httpsStatus = """
        import ssl, sys, urllib.error, urllib.request
        try:
            status = urllib.request.urlopen(sys.argv[2], context=ssl.create_default_context(cafile=sys.argv[1]), timeout=5).status
        except urllib.error.HTTPError as error:
            status = error.code
        print(status, end="")
        """

    func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? "(no log)"
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        stop()
        if ownsDataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// Files in the blob store and its upload area, for "nothing was left behind" checks.
    func storedFiles() -> [String] {
        let manager = FileManager.default
        let blobs = (try? manager.contentsOfDirectory(atPath: blobsDirectory.path)) ?? []
        let incoming = (try? manager.contentsOfDirectory(atPath: blobsDirectory.appendingPathComponent(".incoming").path)) ?? []
        return blobs.filter { $0 != ".incoming" } + incoming.map { ".incoming/\($0)" }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw E2EError("could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Paths in this checkout.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var nimbusBinary: URL {
        if let path = ProcessInfo.processInfo.environment["NIMBUS_BINARY"] { return URL(fileURLWithPath: path) }
        return root.appendingPathComponent(".build/debug/nimbus")
    }

    /// The real python-openstackclient, installed into .venv by scripts/test.
    static var openstackClient: URL {
        if let path = ProcessInfo.processInfo.environment["NIMBUS_OPENSTACK_CLIENT"] { return URL(fileURLWithPath: path) }
        return root.appendingPathComponent(".venv/bin/openstack")
    }
}
