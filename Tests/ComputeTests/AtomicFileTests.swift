import Foundation
import NimbusCore
import Testing

@Suite("Files written whole")
struct AtomicFileTests {
    @Test("a write replaces the file whole with the mode asked for, whatever the umask, and leaves no temporary behind")
    func replaces() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("clouds.yaml")
        try AtomicFile.write(Data("first".utf8), to: file, mode: 0o644)
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.write(Data("second".utf8), to: file, mode: 0o644)
        #expect(try String(contentsOf: file, encoding: .utf8) == "second")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        try AtomicFile.write(Data("key".utf8), to: file, mode: 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["clouds.yaml"])
    }

    @Test("a write into a directory that is not there fails with the path, and nothing is half written")
    func failsWhole() throws {
        let file = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/clouds.yaml")
        let error = #expect(throws: NimbusError.self) { try AtomicFile.write(Data("x".utf8), to: file, mode: 0o600) }
        #expect(error?.message.contains(file.path) == true)
    }
}
