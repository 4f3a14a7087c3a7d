/// Recognition of ISO 9660 (ECMA-119) and UDF (ECMA-167) optical disc images.
///
/// Both start their volume descriptor set at sector 16 of 2048-byte sectors (byte 32768),
/// after a 32 KiB "system area" that hybrid ISOs use for an MBR and/or GPT so the same file
/// boots from a USB stick. Since nothing before sector 16 is inspected, hybrid ISOs (every
/// modern distribution) are recognised like plain ones.
enum ISO9660 {
    static let sectorSize = 2048
    static let firstDescriptorSector = 16
    /// Descriptors looked at before giving up; real sets hold a handful.
    static let maximumDescriptors = 64
    /// Bytes needed to see the type byte and "CD001" of the first descriptor.
    static let minimumSize = 16 * 2048 + 6

    /// Whether the volume descriptor sequence at sector 16 holds an ISO 9660 primary volume
    /// descriptor (type 1, identifier "CD001"), or a UDF volume recognition sequence
    /// ("BEA01" followed by "NSR02"/"NSR03").
    ///
    /// Normally the primary descriptor is at sector 16 itself (type byte at 32768, "CD001"
    /// at 32769); the scan tolerates other ISO 9660 descriptors (boot record, supplementary)
    /// before it, as the standard allows.
    static func matches(_ head: ByteView) -> Bool {
        var sawBeginningOfExtendedArea = false
        for index in 0 ..< maximumDescriptors {
            let base = (firstDescriptorSector + index) * sectorSize
            guard let type = head.u8(base) else { return false }
            let id = base + 1
            if head.has("CD001", at: id) {
                if type == 1 { return true }
                continue  // boot record, supplementary, partition or set terminator
            }
            if head.has("BEA01", at: id) {
                sawBeginningOfExtendedArea = true
                continue
            }
            if sawBeginningOfExtendedArea, head.has("NSR02", at: id) || head.has("NSR03", at: id) {
                return true
            }
            if head.has("BOOT2", at: id) || head.has("CDW02", at: id) { continue }
            return false  // "TEA01" or anything unrecognised ends the sequence
        }
        return false
    }
}
