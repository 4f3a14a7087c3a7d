import Foundation
import Testing
@testable import QMP

/// Inputs kept from fuzzing (scripts/fuzz/parsers): framed and parsed as
/// bytes from QEMU's monitor socket, without a trap.
@Suite("Fuzzer inputs replayed through the QMP framer and parser")
struct QMPFuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

    @Test("every kept input is framed at every cut and parsed without trapping")
    func replay() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 3)
        var parsed = 0
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
            for cut in 0...bytes.count {
                var framer = QMPLineFramer(maximumLineLength: 4096)
                guard let lines = try? framer.append(bytes[..<cut]) + framer.append(bytes[cut...]) else { continue }
                for line in lines where (try? QMPMessage(line: line)) != nil { parsed += 1 }
            }
        }
        #expect(parsed > 0, "the greeting, a return and an event parse")
    }
}
