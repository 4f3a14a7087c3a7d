/// The disk formats Glance lets a user declare (`disk_format`).
enum DiskFormat: String, CaseIterable, Sendable {
    case ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop

    /// The format the data must be in, or nil when the declared format has no structure
    /// (raw disks and the Amazon kernel/ramdisk/machine images).
    var expected: DetectedFormat? { DetectedFormat(rawValue: rawValue) }

    static var allowedList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension DetectedFormat {
    /// Fewest bytes in which this format can be recognised, to tell "too short" apart
    /// from "something else".
    var minimumSize: Int64 {
        switch self {
        case .iso: Int64(ISO9660.minimumSize)
        case .qcow2: Int64(QCOW2.v2HeaderSize)
        case .vmdk, .vhd: 512
        case .vhdx: 8
        case .vdi: Int64(VDI.minimumSize)
        case .ploop: Int64(Ploop.minimumSize)
        case .unknown: 1
        }
    }

    /// What is missing when data is not in this format, for the refusal message.
    var missingSignature: String {
        switch self {
        case .iso: "no ISO 9660 volume descriptor at sector 16"
        case .qcow2: "no qcow2 header at the start of the data"
        case .vmdk: "no VMDK header or descriptor at the start of the data"
        case .vhd: "no VHD footer (\"conectix\") at the end of the data"
        case .vhdx: "no VHDX file identifier (\"vhdxfile\") at the start of the data"
        case .vdi: "no VirtualBox VDI header at the start of the data"
        case .ploop: "no ploop header at the start of the data"
        case .unknown: "unrecognised data"
        }
    }
}

extension ImageInspector {
    /// Whether the data is acceptable for the declared Glance disk_format (a lowercased
    /// string such as "iso"). Unknown declared formats are refused with a message listing
    /// the allowed ones; empty data is refused for every format.
    ///
    /// - iso, qcow2, vmdk, vhd, vhdx, vdi, ploop: the data must be in that format and pass
    ///   its safety checks (no backing or external data files, no foreign VMDK extents).
    /// - raw, ami: the data must not be in another disk image format (CVE-2024-40767, OSSA-2024-002):
    ///   if QEMU ever probed the format of a "raw" qcow2 it would follow its backing file.
    ///   ISO data, hybrid or not, and unrecognised data are accepted.
    /// - aki, ari: kernels and ramdisks have no structure to check; anything is accepted.
    public func verdict(declaredDiskFormat: String) -> InspectionVerdict {
        guard let declared = DiskFormat(rawValue: declaredDiskFormat) else {
            return .refused(reason: "Unknown disk_format \"\(declaredDiskFormat)\"; allowed formats are \(DiskFormat.allowedList)")
        }
        guard byteCount > 0 else { return .refused(reason: "Image data is empty") }
        let found = detectedFormat()
        guard let expected = declared.expected else {
            return declared == .raw || declared == .ami ? rawVerdict(declared, found: found) : .accepted(detected: found)
        }
        guard found == expected else {
            let prefix = "Image data is not in \(declared.rawValue) format"
            if found != .unknown { return .refused(reason: "\(prefix): found \(found.rawValue)") }
            if byteCount < expected.minimumSize {
                return .refused(reason: "Image data is too short for the \(declared.rawValue) format (\(byteCount) bytes)")
            }
            return .refused(reason: "\(prefix): \(expected.missingSignature)")
        }
        if let problem = safetyProblem(expected) { return .refused(reason: problem) }
        return .accepted(detected: expected)
    }

    /// Raw data may be an ISO (hybrid ISOs are raw disks) or anything unrecognised, but not
    /// another disk image format that QEMU would interpret if it probed the format.
    private func rawVerdict(_ declared: DiskFormat, found: DetectedFormat) -> InspectionVerdict {
        let prefix = "Image data is not in \(declared.rawValue) format"
        switch found {
        case .iso, .unknown:
            if QED.matches(headView) {
                return .refused(reason: "\(prefix): found a QED disk image, which is not supported")
            }
            return .accepted(detected: found)
        case .qcow2, .vmdk, .vhd, .vhdx, .vdi, .ploop:
            return .refused(reason: "\(prefix): found \(found.rawValue); upload it with disk_format \(found.rawValue)")
        }
    }

    /// The format-specific safety refusal for data already recognised as `format`.
    private func safetyProblem(_ format: DetectedFormat) -> String? {
        switch format {
        case .qcow2: QCOW2.problem(in: headView)
        case .vmdk: VMDK.problem(in: headView)
        case .vhd: VHD.problem(head: headView, tail: tailView)
        case .vdi: VDI.problem(in: headView)
        case .iso, .vhdx, .ploop, .unknown: nil
        }
    }
}
