import Foundation

/// Everything `nimbus serve` needs to start; built from flags and NIMBUS_* variables.
public struct NimbusConfiguration: Sendable {
    /// Where the database, blobs and clouds.yaml live.
    public var dataDirectory: URL
    public var host: String
    public var port: Int
    /// The base URL clients are told to use in the service catalog; derived
    /// from the listen address when not set.
    public var publicURL: String?
    /// The admin password used on first start; generated when nil.
    public var adminPassword: String?
    public var tokenLifetime: TimeInterval
    /// PBKDF2 rounds for new password hashes; existing hashes keep theirs.
    public var passwordHashRounds: Int
    /// noVNC's files, served for graphical consoles (Debian's `novnc` package by default).
    public var noVNCDirectory = Self.defaultNoVNCDirectory
    public static let defaultNoVNCDirectory = "/usr/share/novnc"
    /// How guests are accelerated: probed (KVM when a probe guest runs well under it), or as given.
    public var accelerator = Accelerator.auto

    public enum Accelerator: String, Sendable, CaseIterable {
        case auto, kvm, tcg
    }

    /// When set (Nimbus must run as root), each QEMU runs as a uid of its own
    /// from the block starting here (QEMUUsers); nil: QEMU runs as Nimbus's
    /// user. Off by default: a QEMU that is not root cannot listen on a
    /// floating IP's ports below 1024, SSH's 22 among them.
    public var qemuFirstUID: UInt32?
    /// The block's start users are pointed to (`NIMBUS_QEMU_FIRST_UID`).
    public static let suggestedQEMUFirstUID: UInt32 = 0x4E49_0000

    /// What runs servers: QEMU, or (as Nova's `compute_driver = fake`) nothing
    /// at all, for measuring the control plane with thousands of servers.
    public var computeDriver = ComputeDriver.qemu

    public enum ComputeDriver: String, Sendable, CaseIterable {
        /// Servers are records that go ACTIVE through the real create path;
        /// no VM runs and consoles show nothing.
        case fake
        case qemu
    }

    /// Keystone's lockout: after this many wrong passwords in a row a user's
    /// password is refused for `lockoutDuration` seconds (nil: until an admin
    /// enables the user again). Off when nil, as in Keystone.
    public var lockoutFailureAttempts: Int?
    public var lockoutDuration: TimeInterval?

    /// How long a new connection may take to send its first request head
    /// (the TLS handshake included); kept-alive connections close after
    /// `idleTimeout` without a request. Console websockets have neither.
    public var requestHeadTimeout: TimeInterval = 30
    public var idleTimeout: TimeInterval = 75

    /// HTTPS with the given certificate and key, or with one Nimbus makes
    /// and keeps in the data directory; plain HTTP when nil.
    public var tls: TLS?

    public enum TLS: Sendable, Equatable {
        case files(certificate: String, key: String)
        case selfSigned
    }

    public init(
        dataDirectory: URL, host: String = "127.0.0.1", port: Int = 8774, publicURL: String? = nil,
        adminPassword: String? = nil, tokenLifetime: TimeInterval = 3600, passwordHashRounds: Int = 210_000
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.adminPassword = adminPassword
        self.tokenLifetime = tokenLifetime
        self.passwordHashRounds = passwordHashRounds
    }

    /// The URL every catalog endpoint is built on, without a trailing slash.
    public var baseURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let scheme = tls == nil ? "http" : "https"
        return "\(scheme)://\(host):\(port)"
    }

    /// Whether only this machine can reach the listening address.
    public var listensOnLoopback: Bool {
        ["localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
    }

    public var databaseURL: URL { dataDirectory.appendingPathComponent("nimbus.sqlite") }
    public var blobsDirectory: URL { dataDirectory.appendingPathComponent("blobs") }
    public var cloudsYAML: URL { dataDirectory.appendingPathComponent("clouds.yaml") }
    /// The key that seals Keystone credentials in the database.
    public var credentialKey: URL { dataDirectory.appendingPathComponent("credential.key") }
    /// Where `--tls-self-signed` keeps its certificate and key.
    public var selfSignedCertificate: URL { dataDirectory.appendingPathComponent("tls/nimbus.crt") }
    public var selfSignedKey: URL { dataDirectory.appendingPathComponent("tls/nimbus.key") }
}
