/// An IPv4 address as a number, so ranges, masks and "the next free address"
/// are arithmetic rather than string handling.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    /// Strict dotted-quad parsing: four decimal octets, no leading zeros (which
    /// some tools read as octal, so `010.0.0.1` would mean different addresses
    /// to different programs), nothing else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || !part.hasPrefix("0"), let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 network in CIDR form, such as `192.168.5.0/24`.
public struct IPv4Subnet: Sendable, Hashable, CustomStringConvertible {
    /// The network address: the address with every host bit clear.
    public let network: IPv4Address
    public let prefixLength: Int

    /// Parses `a.b.c.d/n`. With `strict`, host bits must be clear (Neutron
    /// refuses `192.168.5.7/24`); without it they are cleared, which is how the
    /// service finds the CIDR to suggest instead.
    public init?(_ text: String, strict: Bool = true) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].count <= 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              parts[1] == "0" || !parts[1].hasPrefix("0"), let prefix = Int(parts[1]), prefix <= 32
        else { return nil }
        let mask = Self.mask(prefix)
        guard !strict || address.value & ~mask == 0 else { return nil }
        self.network = IPv4Address(address.value & mask)
        self.prefixLength = prefix
    }

    static func mask(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
    }

    public var mask: UInt32 { Self.mask(prefixLength) }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }

    /// The first and last addresses a host may use: everything but the
    /// network and broadcast addresses (for /31 and /32 there is no such range).
    public var hosts: ClosedRange<IPv4Address>? {
        guard prefixLength <= 30 else { return nil }
        return IPv4Address(network.value + 1)...IPv4Address(broadcast.value - 1)
    }

    public func contains(_ address: IPv4Address) -> Bool {
        address.value & mask == network.value
    }

    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.network) || other.contains(network)
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
