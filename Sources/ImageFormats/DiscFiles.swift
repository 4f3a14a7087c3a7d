import Foundation

/// Random access to an image's bytes: what the disc readers look through.
public protocol DiscBytes: Sendable {
    var size: Int64 { get }
    /// `count` bytes at `offset`, or nil when any of them is outside the image.
    func read(at offset: Int64, count: Int) -> [UInt8]?
}

/// An image file, read with positioned reads; never mapped or read whole.
public struct DiscFile: DiscBytes {
    let handle: FileHandle
    public let size: Int64

    public init(path: String) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        size = Int64(try handle.seekToEnd())
    }

    public func read(at offset: Int64, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(handle.fileDescriptor, $0.baseAddress, count, off_t(offset)) }
        return got == count ? bytes : nil
    }
}

extension DiscBytes {
    /// At most `limit` bytes of a disc's file or directory, from `offset` on, across its extents.
    func read(_ entry: DiscFiles.Entry, from offset: Int64 = 0, limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        var skip = offset
        for extent in entry.extents where bytes.count < limit {
            let length = extent.upperBound - extent.lowerBound
            if skip >= length {
                skip -= length
                continue
            }
            let count = Int(min(Int64(limit - bytes.count), length - skip))
            guard let chunk = read(at: extent.lowerBound + skip, count: count) else { return nil }
            bytes += chunk
            skip = 0
        }
        return bytes
    }
}

/// Bytes in memory, for tests and small images.
public struct DiscMemory: DiscBytes {
    let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int64 { Int64(bytes.count) }
    public func read(at offset: Int64, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else { return nil }
        return Array(bytes[Int(offset) ..< Int(offset) + count])
    }
}

/// The files of an optical disc image, found by path without mounting: the
/// ISO 9660 tree (with Rock Ridge names where the disc has them) and, for
/// discs whose files are only in UDF (Windows installers), the UDF tree. Only
/// the named path is walked, a component at a time, so loops, deep trees and
/// hostile records cost at most a few bounded reads.
public struct DiscFiles: Sendable {
    /// A file or directory: where its bytes are, as runs of the image.
    public struct Entry: Sendable, Equatable {
        public var isDirectory: Bool
        public var size: Int64
        var extents: [Range<Int64>]
    }

    /// Limits that keep a hostile disc cheap: a directory or file read is
    /// at most this many bytes.
    static let maximumDirectoryBytes = 1 << 20
    public static let maximumFileBytes = 1 << 20
    static let sector: Int64 = 2048

    let disc: any DiscBytes
    let isoRoot: Entry?
    let udf: UDF?
    /// The primary volume's label.
    public let volumeLabel: String
    /// Which firmware the disc's El Torito catalog offers to boot it.
    public let bootPlatforms: Set<BootPlatform>

    public enum BootPlatform: Sendable, Equatable { case bios, uefi }

    public init?(_ disc: any DiscBytes) {
        self.disc = disc
        var root: Entry?
        var label = ""
        var catalog: Int64?
        for index in 0 ..< 32 {
            guard let descriptor = disc.read(at: (16 + Int64(index)) * Self.sector, count: 2048).map(ByteView.init),
                  descriptor.has("CD001", at: 1), let type = descriptor.u8(0)
            else { break }
            if type == 255 { break }
            if type == 1, root == nil {
                root = Self.record(descriptor.clipped(156, upTo: 34), disc: disc)?.entry
                label = String(decoding: descriptor.slice(40, 32) ?? [], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
            if type == 0, descriptor.has("EL TORITO SPECIFICATION", at: 7), let lba = descriptor.u32le(71) {
                catalog = Int64(lba)
            }
        }
        isoRoot = root
        udf = UDF(disc)
        guard root != nil || udf != nil else { return nil }
        volumeLabel = label
        bootPlatforms = catalog.map { Self.bootPlatforms(catalog: $0, disc: disc) } ?? []
    }

    /// The entry at `path` ("sources/install.wim"), names compared without
    /// regard to case, as the disc's own OS would on a CD. ISO 9660 first,
    /// then UDF.
    public func entry(_ path: String) -> Entry? {
        let components = path.split(separator: "/").map { $0.lowercased() }
        guard !components.isEmpty, components.count <= 8 else { return nil }
        if let isoRoot, let found = walk(components, from: isoRoot, children: isoChildren) { return found }
        if let udf, let root = udf.root, let found = walk(components, from: root, children: udf.children) { return found }
        return nil
    }

    /// The first `limit` bytes of the file at `path`.
    public func contents(_ path: String, limit: Int = maximumFileBytes) -> [UInt8]? {
        guard let entry = entry(path), !entry.isDirectory else { return nil }
        return read(entry, limit: min(limit, Self.maximumFileBytes))
    }

    /// At most `limit` bytes of a file from `offset` (a WIM's header, its XML).
    public func read(_ entry: Entry, from offset: Int64 = 0, limit: Int) -> [UInt8]? {
        disc.read(entry, from: offset, limit: limit)
    }

    private func walk(_ components: [String], from root: Entry, children: (Entry) -> [(String, Entry)]) -> Entry? {
        var current = root
        for component in components {
            guard current.isDirectory, let next = children(current).first(where: { $0.0 == component }) else { return nil }
            current = next.1
        }
        return current
    }

    // MARK: ISO 9660

    /// The directory's entries by lowercased name ("." and ".." left out).
    func isoChildren(_ directory: Entry) -> [(String, Entry)] {
        guard let bytes = read(directory, limit: Self.maximumDirectoryBytes) else { return [] }
        let view = ByteView(bytes)
        var children: [(String, Entry)] = []
        var continuing = false
        var offset = 0
        while offset < view.count {
            guard let length = view.u8(offset), length > 0 else {
                // Records never cross a sector: a zero length pads to the next one.
                offset = (offset / 2048 + 1) * 2048
                continue
            }
            if let (name, entry, continues) = Self.record(view.clipped(offset, upTo: Int(length)), disc: disc), !name.isEmpty {
                // A file over 4 GiB is several records of one name, each but the last marked multi-extent.
                if continuing, let last = children.last, last.0 == name {
                    children[children.count - 1].1.extents += entry.extents
                    children[children.count - 1].1.size += entry.size
                } else {
                    children.append((name, entry))
                }
                continuing = continues
            }
            offset += Int(length)
        }
        return children
    }

    /// A directory record: its name (the Rock Ridge name when there is one)
    /// and its extent; nil when it is malformed or points outside the image.
    static func record(_ view: ByteView, disc: any DiscBytes) -> (name: String, entry: Entry, continues: Bool)? {
        guard let length = view.u8(0), Int(length) >= 34, Int(length) <= view.count,
              let lba = view.u32le(2), let size = view.u32le(10), let flags = view.u8(25), let nameLength = view.u8(32),
              let rawName = view.slice(33, Int(nameLength))
        else { return nil }
        let start = Int64(lba) * sector
        guard start + Int64(size) <= disc.size else { return nil }
        let entry = Entry(isDirectory: flags & 0x02 != 0, size: Int64(size), extents: size > 0 ? [start ..< start + Int64(size)] : [])
        // "." and ".." are the bytes 0 and 1.
        let continues = flags & 0x80 != 0
        if nameLength == 1, rawName.first! <= 1 { return ("", entry, continues) }
        let systemUse = 33 + Int(nameLength) + (nameLength % 2 == 0 ? 1 : 0)
        var name = rockRidgeName(view.clipped(systemUse, upTo: Int(length) - systemUse))
            ?? String(decoding: rawName, as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
        if !entry.isDirectory, name.hasSuffix("."), !name.hasSuffix("..") { name.removeLast() }
        // A name with "/" or NUL names nothing a path can reach.
        guard !name.contains("/"), !name.contains("\0") else { return nil }
        return (name.lowercased(), entry, continues)
    }

    /// The Rock Ridge alternate name (NM entries) in a record's system use area.
    static func rockRidgeName(_ area: ByteView) -> String? {
        var offset = 0
        var name: [UInt8]?
        while offset + 4 <= area.count, let length = area.u8(offset + 2), length >= 4 {
            if area.has("NM", at: offset), let flags = area.u8(offset + 4), flags & 0x06 == 0,
               let part = area.slice(offset + 5, Int(length) - 5) {
                name = (name ?? []) + part
            }
            offset += Int(length)
        }
        return name.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The platforms of the El Torito catalog's entries: the validation
    /// entry's (the default entry's platform), then each section header's.
    static func bootPlatforms(catalog: Int64, disc: any DiscBytes) -> Set<BootPlatform> {
        guard let bytes = disc.read(at: catalog * sector, count: 2048) else { return [] }
        let view = ByteView(bytes)
        var platforms: Set<BootPlatform> = []
        func add(_ id: UInt8) {
            if id == 0 { platforms.insert(.bios) }
            if id == 0xEF { platforms.insert(.uefi) }
        }
        guard view.u8(0) == 1, let platform = view.u8(1) else { return [] }
        add(platform)
        var offset = 64
        while offset + 32 <= view.count, let indicator = view.u8(offset), indicator == 0x90 || indicator == 0x91 {
            guard let id = view.u8(offset + 1), let entries = view.u16le(offset + 2) else { break }
            if entries > 0 { add(id) }
            offset += 32 * (1 + Int(entries))
            if indicator == 0x91 { break }
        }
        return platforms
    }
}
