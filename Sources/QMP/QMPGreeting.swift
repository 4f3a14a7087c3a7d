/// What QEMU says first on a new QMP connection:
/// `{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": "..."}, "capabilities": ["oob"]}}`.
public struct QMPGreeting: Sendable, Equatable, Decodable {
    /// QEMU's version triple and its distribution's package string.
    public struct Version: Sendable, Equatable, Decodable {
        /// The `major.minor.micro` numbers.
        public struct Numbers: Sendable, Equatable, Decodable {
            /// Major version, e.g. 7 for QEMU 7.2.
            public var major: Int
            /// Minor version.
            public var minor: Int
            /// Micro (patch) version.
            public var micro: Int

            /// Creates a version triple.
            public init(major: Int, minor: Int, micro: Int) {
                self.major = major
                self.minor = minor
                self.micro = micro
            }
        }

        /// QEMU's version numbers.
        public var qemu: Numbers
        /// The distribution's package string, e.g. `"Debian 1:7.2+dfsg-7"`.
        public var package: String
    }

    /// The QEMU version that answered.
    public var version: Version
    /// Capabilities QEMU offers (e.g. `"oob"`); this client enables none.
    public var capabilities: [String]

    /// Creates a greeting (mainly for tests and fakes).
    public init(major: Int, minor: Int, micro: Int, package: String = "", capabilities: [String] = []) {
        self.version = Version(qemu: .init(major: major, minor: minor, micro: micro), package: package)
        self.capabilities = capabilities
    }
}
