import Foundation
import Testing
@testable import ImageFormats

/// Inputs kept from fuzzing (scripts/fuzz/parsers): each goes through what
/// an upload's bytes go through, and must come out without a trap.
@Suite("Fuzzer inputs replayed through the inspector and the disc reader")
struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

    @Test("every kept input is inspected, judged for each format and read as a disc without trapping; the attacks among them are refused")
    func replay() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 3)
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
            let inspector = UploadPath.exercise(bytes)
            if name == "qcow2-backing-file" || name == "vmdk-descriptor" {
                let verdict = inspector.verdict(declaredDiskFormat: name.hasPrefix("qcow2") ? "qcow2" : "vmdk")
                guard case .refused = verdict else {
                    Issue.record("\(name) must be refused, not \(verdict)")
                    continue
                }
            }
        }
    }
}
