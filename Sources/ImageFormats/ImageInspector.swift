/// The formats an inspector can recognise in data.
public enum DetectedFormat: String, Sendable, Equatable {
    case iso, qcow2, vmdk, vhd, vhdx, vdi, ploop, unknown
}

/// The outcome of checking uploaded image data against its declared disk_format.
public enum InspectionVerdict: Sendable, Equatable {
    case accepted(detected: DetectedFormat)
    /// `reason` is written for API users and can be returned to them as is.
    case refused(reason: String)
}

/// Streams over image bytes keeping only a bounded head (first `ImageInspector.headCapacity`
/// bytes, 1 MiB) and the last 512 bytes; never the whole image.
///
/// Feed every chunk of an upload to `consume(_:)` as it is written to disk, then ask for a
/// `verdict(declaredDiskFormat:)`. All headers this module checks lie in the head (ISO 9660
/// at 32 KiB, qcow2/VMDK/VHDX/VDI/ploop headers at 0, VMDK descriptors near the start) except
/// the VHD footer, which is why the last 512 bytes are kept too. Memory use is bounded
/// whatever the image size, and parsing never traps on malformed or truncated data.
public struct ImageInspector: Sendable {
    /// How many leading bytes are kept for inspection: 1 MiB.
    public static let headCapacity: Int = 1 << 20
    /// How many trailing bytes are kept: one VHD footer.
    static let tailCapacity = VHD.footerSize

    /// Total number of bytes consumed so far.
    public private(set) var byteCount: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []

    public init() {}

    /// Feed the next chunk. Cheap for big chunks once the head is full: only the tail window
    /// (at most 512 bytes) is updated.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        byteCount += Int64(chunk.count)
        let room = Self.headCapacity - head.count
        if room > 0 {
            head.append(contentsOf: chunk.prefix(room))
        }
        tail.append(contentsOf: chunk.suffix(Self.tailCapacity))
        if tail.count > Self.tailCapacity {
            tail.removeFirst(tail.count - Self.tailCapacity)
        }
    }

    /// Feed the next chunk (convenience for tests and small buffers).
    public mutating func consume(_ chunk: [UInt8]) {
        chunk.withUnsafeBytes { consume($0) }
    }

    /// The first bytes of the data, at most `headCapacity` of them.
    var headView: ByteView { ByteView(head) }
    /// The last bytes of the data, at most 512 of them.
    var tailView: ByteView { ByteView(tail) }
    /// How many bytes the inspector holds in memory (for tests of the bound).
    var retainedByteCount: Int { head.count + tail.count }

    /// What the data looks like.
    ///
    /// Signatures at offset 0 win over the VHD footer at the end, which wins over the ISO
    /// volume descriptor at 32 KiB: a hybrid ISO keeps only boot code in its first sectors,
    /// and a fixed VHD wrapping an ISO is a VHD. QED (not a Glance format) reports `.unknown`.
    public func detectedFormat() -> DetectedFormat {
        let head = headView
        if QCOW2.matches(head) { return .qcow2 }
        if VMDK.matches(head) { return .vmdk }
        if VHDX.matches(head) { return .vhdx }
        if VDI.matches(head) { return .vdi }
        if Ploop.matches(head) { return .ploop }
        if VHD.matches(head: head, tail: tailView) { return .vhd }
        if ISO9660.matches(head) { return .iso }
        return .unknown
    }
}
