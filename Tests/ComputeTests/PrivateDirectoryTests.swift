import Foundation
import NimbusCore
import Testing

@Suite("The runtime directory is ours alone")
struct PrivateDirectoryTests {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-private-\(UUID().uuidString)")

    @Test("made owner-only when missing, and kept as it is on the next start")
    func madeAndKept() throws {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        let directory = parent.appendingPathComponent("run")
        try PrivateDirectory.ensure(directory)
        var info = stat()
        #expect(lstat(directory.path, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == getuid())
        try PrivateDirectory.ensure(directory)
    }

    @Test("refused: open to others, a link to a directory of ours, a file, someone else's")
    func refusals() throws {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        func refusal(_ path: URL) -> String? {
            do { try PrivateDirectory.ensure(path); return nil } catch { return "\(error)" }
        }
        let open = parent.appendingPathComponent("open")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        chmod(open.path, 0o777)
        #expect(refusal(open)?.contains("open to other users") == true)

        let target = parent.appendingPathComponent("target")
        try PrivateDirectory.ensure(target)
        let link = parent.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(refusal(link)?.contains("not a directory of its own") == true, "a link is never followed")

        let file = parent.appendingPathComponent("file")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data()))
        #expect(refusal(file)?.contains("not a directory of its own") == true)

        // Another user's directory, when this test may make one.
        let theirs = parent.appendingPathComponent("theirs")
        try PrivateDirectory.ensure(theirs)
        if getuid() == 0, chown(theirs.path, 65534, 65534) == 0 {
            #expect(refusal(theirs)?.contains("belongs to user 65534") == true)
        }
    }
}
