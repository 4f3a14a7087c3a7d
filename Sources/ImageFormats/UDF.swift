/// The directory tree of a UDF (ECMA-167) disc, the file system Windows
/// installers keep their files in (their ISO 9660 tree holds only a README).
/// Read as a chain: the anchor at sector 256, the volume descriptors, the
/// file set descriptor, then file entries and their identifiers. Every hop is
/// a bounded read that must land inside the image.
struct UDF: Sendable {
    let disc: any DiscBytes
    /// Where the partition starts, in sectors: logical blocks count from there.
    let partitionStart: Int64
    /// The root directory's file entry.
    let rootICB: Int64

    static let sector: Int64 = 2048
    /// Volume descriptors looked at, and allocation descriptors per file.
    static let maximumDescriptors = 64
    static let maximumExtents = 256

    init?(_ disc: any DiscBytes) {
        self.disc = disc
        guard let anchor = Self.tagged(2, at: 256, disc), let length = anchor.u32le(16), let location = anchor.u32le(20) else { return nil }
        var partitionStart: Int64?
        var fileSet: Int64?
        for index in 0 ..< min(Int(length) / 2048, Self.maximumDescriptors) {
            let sector = Int64(location) + Int64(index)
            guard let descriptor = disc.read(at: sector * Self.sector, count: 512).map(ByteView.init), let tag = descriptor.u16le(0) else { break }
            if tag == 5, partitionStart == nil, let start = descriptor.u32le(188) { partitionStart = Int64(start) }
            // The logical volume's contents use holds the file set descriptor's long_ad.
            if tag == 6, descriptor.u32le(212) == 2048, let block = descriptor.u32le(252) { fileSet = Int64(block) }
            if tag == 8 { break }
        }
        guard let partitionStart, let fileSet,
              let descriptor = Self.tagged(256, at: partitionStart + fileSet, disc), let root = descriptor.u32le(404)
        else { return nil }
        self.partitionStart = partitionStart
        rootICB = Int64(root)
    }

    /// A sector that starts with the descriptor tag `id`.
    static func tagged(_ id: UInt16, at sector: Int64, _ disc: any DiscBytes) -> ByteView? {
        guard let bytes = disc.read(at: sector * Self.sector, count: 2048) else { return nil }
        let view = ByteView(bytes)
        return view.u16le(0) == id ? view : nil
    }

    var root: DiscFiles.Entry? { entry(icb: rootICB) }

    /// The file entry (or extended file entry) at logical block `icb`.
    func entry(icb: Int64) -> DiscFiles.Entry? {
        guard let bytes = disc.read(at: (partitionStart + icb) * Self.sector, count: 2048) else { return nil }
        let view = ByteView(bytes)
        let layout: (extendedAttributes: Int, descriptors: Int, area: Int)
        switch view.u16le(0) {
        case 261: layout = (168, 172, 176)
        case 266: layout = (208, 212, 216)
        default: return nil
        }
        guard let fileType = view.u8(27), let flags = view.u16le(34), let size = view.u64le(56),
              let extendedLength = view.u32le(layout.extendedAttributes), let descriptorLength = view.u32le(layout.descriptors)
        else { return nil }
        let start = layout.area + Int(extendedLength)
        guard let area = view.slice(start, Int(descriptorLength)).map(ByteView.init) else { return nil }
        var extents: [Range<Int64>] = []
        switch flags & 0x7 {
        case 0, 1:
            let width = flags & 0x7 == 0 ? 8 : 16
            var offset = 0
            while offset + width <= area.count, extents.count < Self.maximumExtents,
                  let rawLength = area.u32le(offset), let block = area.u32le(offset + 4) {
                let length = Int64(rawLength & 0x3FFF_FFFF)
                // The top two bits say what the extent is; 0 is recorded data, 3 a continuation (not followed).
                if length == 0 || rawLength >> 30 == 3 { break }
                if rawLength >> 30 == 0 {
                    let begin = (partitionStart + Int64(block)) * Self.sector
                    guard begin + length <= disc.size else { return nil }
                    extents.append(begin ..< begin + length)
                }
                offset += width
            }
        case 3:
            // The data is embedded in the entry itself.
            let begin = (partitionStart + icb) * Self.sector + Int64(start)
            extents = [begin ..< begin + Int64(descriptorLength)]
        default:
            return nil
        }
        return DiscFiles.Entry(isDirectory: fileType == 4, size: Int64(min(size, UInt64(Int64.max))), extents: extents)
    }

    /// A directory's entries by lowercased name, from its file identifier descriptors.
    func children(_ directory: DiscFiles.Entry) -> [(String, DiscFiles.Entry)] {
        guard let bytes = disc.read(directory, limit: DiscFiles.maximumDirectoryBytes) else { return [] }
        let view = ByteView(bytes)
        var children: [(String, DiscFiles.Entry)] = []
        var offset = 0
        while offset + 38 <= view.count, view.u16le(offset) == 257 {
            guard let characteristics = view.u8(offset + 18), let nameLength = view.u8(offset + 19),
                  let icb = view.u32le(offset + 24), let implementationLength = view.u16le(offset + 36)
            else { break }
            let nameStart = offset + 38 + Int(implementationLength)
            // Parent and deleted entries are skipped.
            if characteristics & 0x0C == 0, nameLength > 0, let raw = view.slice(nameStart, Int(nameLength)),
               let name = Self.name(raw), !name.contains("/"), !name.contains("\0"), let entry = entry(icb: Int64(icb)) {
                children.append((name.lowercased(), entry))
            }
            offset += (38 + Int(implementationLength) + Int(nameLength) + 3) & ~3
        }
        return children
    }

    /// An OSTA compressed unicode name: 8 bits a character, or 16 big-endian.
    static func name(_ raw: ArraySlice<UInt8>) -> String? {
        guard let compression = raw.first else { return nil }
        let body = Array(raw.dropFirst())
        switch compression {
        case 8: return String(decoding: body.map(UInt16.init), as: UTF16.self)  // Latin-1
        case 16:
            let units = stride(from: 0, to: body.count - 1, by: 2).map { UInt16(body[$0]) << 8 | UInt16(body[$0 + 1]) }
            return String(decoding: units, as: UTF16.self)
        default: return nil
        }
    }
}
