/// A zero-based, bounds-checked window over bytes.
///
/// Every read returns `nil` (or `false`) instead of trapping when it would fall outside
/// the bytes, so the format parsers built on it stay total on truncated or hostile input.
struct ByteView: Sendable {
    let bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var count: Int { bytes.count }

    /// The bytes `offset ..< offset + length`, or nil if any of them is missing.
    func slice(_ offset: Int, _ length: Int) -> ArraySlice<UInt8>? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        let start = bytes.startIndex + offset
        return bytes[start ..< start + length]
    }

    /// The bytes from `offset` on, at most `length` of them (possibly fewer, possibly none).
    func clipped(_ offset: Int, upTo length: Int) -> ByteView {
        guard offset >= 0, offset < count, length > 0 else { return ByteView([]) }
        return ByteView(slice(offset, min(length, count - offset)) ?? [])
    }

    func u8(_ offset: Int) -> UInt8? { slice(offset, 1)?.first }

    /// An unsigned integer of `T`'s width at `offset`, in the given byte order.
    func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, at offset: Int, bigEndian: Bool) -> T? {
        let size = T.bitWidth / 8
        guard let raw = slice(offset, size) else { return nil }
        var value: T = 0
        for (index, byte) in raw.enumerated() {
            value |= T(byte) << ((bigEndian ? size - 1 - index : index) * 8)
        }
        return value
    }

    func u16le(_ offset: Int) -> UInt16? { integer(UInt16.self, at: offset, bigEndian: false) }
    func u32le(_ offset: Int) -> UInt32? { integer(UInt32.self, at: offset, bigEndian: false) }
    func u64le(_ offset: Int) -> UInt64? { integer(UInt64.self, at: offset, bigEndian: false) }
    func u32be(_ offset: Int) -> UInt32? { integer(UInt32.self, at: offset, bigEndian: true) }
    func u64be(_ offset: Int) -> UInt64? { integer(UInt64.self, at: offset, bigEndian: true) }

    /// Whether `expected` occurs exactly at `offset`.
    func has(_ expected: [UInt8], at offset: Int) -> Bool {
        guard let raw = slice(offset, expected.count) else { return false }
        return raw.elementsEqual(expected)
    }

    /// Whether the ASCII text `expected` occurs exactly at `offset`.
    func has(_ expected: String, at offset: Int) -> Bool { has(Array(expected.utf8), at: offset) }

    /// Whether `needle` (ASCII) occurs anywhere, ignoring ASCII case.
    func containsIgnoringCase(_ needle: String) -> Bool {
        let target = Array(needle.lowercased().utf8)
        guard !target.isEmpty, target.count <= count else { return target.isEmpty }
        let lowered = bytes.map(asciiLowercased)
        for start in 0 ... (lowered.count - target.count)
        where lowered[start ..< start + target.count].elementsEqual(target) {
            return true
        }
        return false
    }
}

/// The ASCII lowercase of a byte; other bytes are returned unchanged.
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (0x41 ... 0x5A).contains(byte) ? byte + 0x20 : byte
}

/// `count` units of `unit` bytes as an `Int` byte count, or nil if it does not fit.
func byteLength(_ count: UInt64, unit: UInt64) -> Int? {
    let (product, overflow) = count.multipliedReportingOverflow(by: unit)
    return overflow ? nil : Int(exactly: product)
}
