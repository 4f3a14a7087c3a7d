import ArgumentParser
import Foundation
import Logging
import NimbusCore
import NimbusServer

/// `nimbus serve`: every service on one port, state in one data directory.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run Identity, Image and the other services on one port.")

    @Option(name: .customLong("data-dir"), help: "Data directory (env NIMBUS_DATA_DIR; default ~/.local/share/nimbus).")
    var dataDirectory: String?

    @Option(name: .long, help: "Address to listen on, HOST:PORT (env NIMBUS_LISTEN; default 127.0.0.1:8774).")
    var listen: String?

    @Option(name: .customLong("public-url"), help: "Base URL clients should use, when not http://HOST:PORT (env NIMBUS_PUBLIC_URL).")
    var publicURL: String?

    @Option(help: "auto (KVM when a probe guest runs well under it, else TCG), kvm or tcg (env NIMBUS_ACCELERATOR).")
    var accelerator: String?

    @Option(
        name: .customLong("compute-driver"),
        help: "qemu, or fake: servers without virtual machines, for load tests (env NIMBUS_COMPUTE_DRIVER; default qemu).")
    var computeDriver: String?

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate chain (env NIMBUS_TLS_CERT); needs --tls-key.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert (env NIMBUS_TLS_KEY).")
    var tlsKey: String?

    @Flag(
        name: .customLong("tls-self-signed"),
        help: "Serve HTTPS with a certificate made once and kept in the data directory; clouds.yaml names it as cacert (env NIMBUS_TLS_SELF_SIGNED=1).")
    var tlsSelfSigned = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env NIMBUS_LOG_LEVEL).")
    var logLevel: String?

    func validate() throws {
        let environment = ProcessInfo.processInfo.environment
        _ = try tls(environment)
        if let attempts = environment["NIMBUS_LOCKOUT_FAILURE_ATTEMPTS"], !attempts.isEmpty, (Int(attempts) ?? 0) <= 0 {
            throw ValidationError("NIMBUS_LOCKOUT_FAILURE_ATTEMPTS must be a whole number above 0")
        }
        if let duration = environment["NIMBUS_LOCKOUT_DURATION"], !duration.isEmpty, (TimeInterval(duration) ?? 0) <= 0 {
            throw ValidationError("NIMBUS_LOCKOUT_DURATION must be a number of seconds above 0")
        }
        if let first = environment["NIMBUS_QEMU_FIRST_UID"], !first.isEmpty {
            guard let uid = UInt32(first), uid > 0, uid <= UInt32.max - 65_536 else {
                throw ValidationError("NIMBUS_QEMU_FIRST_UID must be a uid above 0 with 65,536 unused uids from it, such as \(NimbusConfiguration.suggestedQEMUFirstUID)")
            }
            guard getuid() == 0 else { throw ValidationError("NIMBUS_QEMU_FIRST_UID needs nimbus to run as root, which alone may give QEMU another user") }
        }
        if let listen = listen ?? ProcessInfo.processInfo.environment["NIMBUS_LISTEN"], Self.parseListen(listen) == nil {
            throw ValidationError("--listen must be HOST:PORT, for example 127.0.0.1:8774")
        }
        if let level = logLevel, Logger.Level(rawValue: level) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let accelerator = accelerator ?? ProcessInfo.processInfo.environment["NIMBUS_ACCELERATOR"],
           NimbusConfiguration.Accelerator(rawValue: accelerator) == nil {
            throw ValidationError("--accelerator must be auto, kvm or tcg")
        }
        if let driver = computeDriver ?? ProcessInfo.processInfo.environment["NIMBUS_COMPUTE_DRIVER"],
           NimbusConfiguration.ComputeDriver(rawValue: driver) == nil {
            throw ValidationError("--compute-driver must be qemu or fake")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel ?? environment["NIMBUS_LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = NimbusConfiguration(dataDirectory: Self.dataDirectory(dataDirectory ?? environment["NIMBUS_DATA_DIR"]))
        if let listen = listen ?? environment["NIMBUS_LISTEN"], let (host, port) = Self.parseListen(listen) {
            configuration.host = host
            configuration.port = port
        }
        configuration.publicURL = publicURL ?? environment["NIMBUS_PUBLIC_URL"]
        configuration.adminPassword = environment["NIMBUS_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        if let noVNC = environment["NIMBUS_NOVNC_DIR"], !noVNC.isEmpty { configuration.noVNCDirectory = noVNC }
        if let lifetime = environment["NIMBUS_TOKEN_LIFETIME"].flatMap(TimeInterval.init), lifetime > 0 {
            configuration.tokenLifetime = lifetime
        }
        configuration.lockoutFailureAttempts = environment["NIMBUS_LOCKOUT_FAILURE_ATTEMPTS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        configuration.lockoutDuration = environment["NIMBUS_LOCKOUT_DURATION"].flatMap(TimeInterval.init).flatMap { $0 > 0 ? $0 : nil }
        if let timeout = environment["NIMBUS_REQUEST_HEAD_TIMEOUT"].flatMap(TimeInterval.init), timeout > 0 {
            configuration.requestHeadTimeout = timeout
        }
        if let timeout = environment["NIMBUS_IDLE_TIMEOUT"].flatMap(TimeInterval.init), timeout > 0 { configuration.idleTimeout = timeout }
        if let accelerator = (accelerator ?? environment["NIMBUS_ACCELERATOR"]).flatMap(NimbusConfiguration.Accelerator.init) {
            configuration.accelerator = accelerator
        }
        if let driver = (computeDriver ?? environment["NIMBUS_COMPUTE_DRIVER"]).flatMap(NimbusConfiguration.ComputeDriver.init) {
            configuration.computeDriver = driver
        }
        configuration.qemuFirstUID = environment["NIMBUS_QEMU_FIRST_UID"].flatMap { UInt32($0) }
        configuration.tls = try tls(environment)
        try await NimbusServer(configuration: configuration).run()
    }

    /// The TLS setting from the flags, else from NIMBUS_TLS_*.
    func tls(_ environment: [String: String]) throws -> NimbusConfiguration.TLS? {
        let certificate = tlsCertificate ?? environment["NIMBUS_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        let key = tlsKey ?? environment["NIMBUS_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let selfSigned = tlsSelfSigned || ["1", "true", "yes"].contains(environment["NIMBUS_TLS_SELF_SIGNED"]?.lowercased() ?? "")
        switch (certificate, key) {
        case (nil, nil):
            return selfSigned ? .selfSigned : nil
        case (let certificate?, let key?):
            if selfSigned { throw ValidationError("--tls-self-signed makes its own certificate: give it or --tls-cert and --tls-key, not both") }
            for path in [certificate, key] where !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(path) cannot be read")
            }
            return .files(certificate: certificate, key: key)
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
    }

    static func dataDirectory(_ given: String?) -> URL {
        if let given { return URL(fileURLWithPath: given) }
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("nimbus")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/nimbus")
    }

    static func parseListen(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }
}
