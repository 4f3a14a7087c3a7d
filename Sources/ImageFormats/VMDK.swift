/// Recognition and safety checks of VMware virtual disks.
///
/// A VMDK descriptor lists "extents", the files holding the data. A descriptor that names
/// files other than the image itself makes QEMU read them from the host: CVE-2022-47951
/// (OSSA-2023-002) and its follow-up CVE-2024-40767 (OSSA-2024-002). Only single-file
/// images are therefore accepted: a sparse extent ("KDMV" header) whose embedded descriptor
/// has createType monolithicSparse or streamOptimized and one SPARSE extent, i.e. itself.
/// Text descriptor files and the old VMware 3 "COWD" format are refused.
enum VMDK {
    static let sparseMagic: [UInt8] = Array("KDMV".utf8)  // 0x564d444b little-endian
    static let cowdMagic: [UInt8] = Array("COWD".utf8)
    static let sectorSize: UInt64 = 512
    /// QEMU reads the parent hint from the 20 sectors after the header, whatever the header says.
    static let qemuDescriptorWindow = 20 * 512
    static let acceptedCreateTypes = ["monolithicsparse", "streamoptimized"]
    static let extentAccessModes = ["rw", "rdonly", "noaccess"]
    static let supportedOnly = "only monolithicSparse and streamOptimized vmdk images are accepted"

    static func matches(_ head: ByteView) -> Bool {
        head.has(sparseMagic, at: 0) || head.has(cowdMagic, at: 0) || isDescriptorFile(head)
    }

    /// Whether the data is a plain-text descriptor file, as "# Disk DescriptorFile" or as
    /// QEMU's vmdk probe sees it: only comments and blank lines before "version=1|2|3",
    /// within the first 2048 bytes.
    static func isDescriptorFile(_ head: ByteView) -> Bool {
        if head.has("# Disk DescriptorFile", at: 0) { return true }
        let text = head.clipped(0, upTo: 2048)
        var offset = 0
        while let byte = text.u8(offset) {
            switch byte {
            case UInt8(ascii: "#"):
                while let next = text.u8(offset), next != UInt8(ascii: "\n") { offset += 1 }
                offset += 1
            case UInt8(ascii: " "):
                while text.u8(offset) == UInt8(ascii: " ") { offset += 1 }
                if text.u8(offset) == UInt8(ascii: "\r") { offset += 1 }
                guard text.u8(offset) == UInt8(ascii: "\n") else { return false }
                offset += 1
            default:
                return (1 ... 3).contains { version in
                    text.has("version=\(version)\n", at: offset) || text.has("version=\(version)\r\n", at: offset)
                }
            }
        }
        return false
    }

    /// Why data recognised as VMDK must be refused, or nil if it is a safe single-file image.
    static func problem(in head: ByteView) -> String? {
        if head.has(cowdMagic, at: 0) {
            return "vmdk image uses the old VMware 3 (COWD) sparse format; \(supportedOnly)"
        }
        guard head.has(sparseMagic, at: 0) else {
            return "vmdk descriptor files only point at other files and are refused for safety; \(supportedOnly)"
        }
        guard head.count >= 512, let version = head.u32le(4), let capacity = head.u64le(12),
              let descriptorSector = head.u64le(28), let descriptorSectors = head.u64le(36)
        else { return "vmdk header is truncated" }
        guard (1 ... 3).contains(version) else {
            return "vmdk image has unsupported version \(version); refused"
        }
        if head.clipped(512, upTo: qemuDescriptorWindow).containsIgnoringCase("parentFileNameHint") {
            return "vmdk image has a parent (backing) file; images with backing files are refused for safety"
        }
        guard descriptorSector != 0, descriptorSectors != 0 else {
            return "vmdk image has no embedded descriptor; \(supportedOnly)"
        }
        guard let text = descriptorText(head, sector: descriptorSector, sectors: descriptorSectors) else {
            return "vmdk descriptor could not be read within the first 1 MiB of the image; refused for safety"
        }
        return descriptorProblem(text, capacity: capacity)
    }

    /// The embedded descriptor: the bytes at the given sectors up to the first NUL. Nil if it
    /// starts beyond the bytes kept, or is cut off by them before its end.
    static func descriptorText(_ head: ByteView, sector: UInt64, sectors: UInt64) -> ByteView? {
        guard let start = byteLength(sector, unit: sectorSize), start < head.count else { return nil }
        let length = byteLength(sectors, unit: sectorSize) ?? Int.max
        let region = head.clipped(start, upTo: length)
        if let end = region.bytes.firstIndex(of: 0) {
            return ByteView(region.bytes[..<end])
        }
        return region.count == length ? region : nil
    }

    /// Checks a descriptor line by line, as Glance's format inspector does: only comments,
    /// "ddb." entries, `key=value` fields and extent lines are allowed.
    static func descriptorProblem(_ text: ByteView, capacity: UInt64) -> String? {
        let isPlainText = text.bytes.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (0x20 ..< 0x7F).contains($0) }
        guard isPlainText else { return "vmdk descriptor is not plain ASCII text; refused" }
        if text.containsIgnoringCase("parentFileNameHint") {
            return "vmdk image has a parent (backing) file; images with backing files are refused for safety"
        }
        var createTypes: [String] = []
        var extents: [Extent] = []
        // Split on LF bytes: in Swift "\r\n" is a single Character, unequal to "\n".
        for rawLine in text.bytes.split(separator: 10) {
            let line = String(decoding: rawLine, as: UTF8.self).trimmingBlanks()
            let lowered = line.lowercased()
            if line.isEmpty || line.hasPrefix("#") || lowered.hasPrefix("ddb.") { continue }
            if let equals = line.firstIndex(of: "="), !line[..<equals].trimmingBlanks().contains(" ") {
                if line[..<equals].trimmingBlanks().lowercased() == "createtype" {
                    createTypes.append(line[line.index(after: equals)...].trimmingBlanks().unquoted)
                }
                continue
            }
            guard let extent = Extent(line), extentAccessModes.contains(extent.access.lowercased()) else {
                return "vmdk descriptor contains an unsupported line; refused for safety"
            }
            extents.append(extent)
        }
        guard let createType = createTypes.first else { return "vmdk descriptor has no createType; refused" }
        guard createTypes.count == 1 else { return "vmdk descriptor declares createType more than once; refused" }
        guard acceptedCreateTypes.contains(createType.lowercased()) else {
            return "vmdk createType \"\(createType)\" is not supported; \(supportedOnly)"
        }
        guard !extents.isEmpty else { return "vmdk descriptor lists no extents; refused" }
        for (index, extent) in extents.enumerated() {
            // With a non-zero capacity QEMU reads the data from the image itself and ignores the
            // name of its one SPARSE extent; with capacity 0 it opens the named file instead.
            let isSelf = index == 0 && extent.type.uppercased() == "SPARSE" && capacity != 0
                && !(extent.fileName ?? "").contains(where: { $0 == "/" || $0 == "\\" })
            if isSelf { continue }
            guard let name = extent.fileName else {
                return "vmdk descriptor has an unsupported \(extent.type) extent; refused for safety"
            }
            return "vmdk descriptor points at extent file \"\(name)\"; refused for safety"
        }
        return nil
    }

    /// An extent line: `ACCESS SECTORS TYPE ["FILENAME" [OFFSET]]`.
    struct Extent {
        let access: Substring
        let type: Substring
        let fileName: String?

        init?(_ line: Substring) {
            var rest = line
            func token() -> Substring? {
                rest = rest.drop(while: { $0 == " " || $0 == "\t" })
                let word = rest.prefix(while: { $0 != " " && $0 != "\t" })
                rest = rest.dropFirst(word.count)
                return word.isEmpty ? nil : word
            }
            guard let access = token(), token() != nil, let type = token() else { return nil }
            self.access = access
            self.type = type
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            if rest.first == "\"" {
                let quoted = rest.dropFirst()
                guard let close = quoted.firstIndex(of: "\"") else { return nil }
                fileName = String(quoted[..<close])
            } else {
                fileName = token().map(String.init)
            }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingBlanks() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let view = self[...]
        guard let first = view.firstIndex(where: { !isBlank($0) }),
              let last = view.lastIndex(where: { !isBlank($0) })
        else { return Substring() }
        return Substring(view[first ... last])
    }

    /// Without one pair of surrounding double quotes.
    var unquoted: String {
        hasPrefix("\"") && hasSuffix("\"") && count >= 2 ? String(dropFirst().dropLast()) : String(self)
    }
}
