/// FNV-1a, 64 bits: a hash that is the same in every process and on every
/// run (unlike `Hasher`), for names derived from other names. Not for security.
public enum StableHash {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Hashes `text`, continuing from `state` to chain several inputs.
    public static func fnv1a(_ text: String, continuing state: UInt64 = offsetBasis) -> UInt64 {
        var hash = state
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
