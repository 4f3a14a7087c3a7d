import Foundation

/// xorriso: small ISO 9660 images made on the host (config drives), with
/// Rock Ridge and Joliet names.
public struct ISOImageTool: Sendable {
    public var executable: String

    public init(executable: String = "/usr/bin/xorriso") {
        self.executable = executable
    }

    /// Writes an image labelled `label` holding `files` (paths relative to
    /// the image's root) to `path`, replacing any earlier one only once the
    /// new one is complete.
    public func write(label: String, files: [String: Data], to path: String) async throws {
        let staging = URL(fileURLWithPath: path + ".d")
        try? FileManager.default.removeItem(at: staging)
        defer { try? FileManager.default.removeItem(at: staging) }
        for (relative, data) in files {
            guard !relative.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !relative.hasPrefix("/") else {
                throw QEMUError.launchFailed(executable: executable, reason: "\(relative) is not a relative path inside the image")
            }
            let file = staging.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
        }
        let temporary = path + ".tmp"
        let output = try await ProcessRunner.run(
            executable, ["-as", "mkisofs", "-quiet", "-V", label, "-r", "-J", "-o", temporary, staging.path])
        guard output.status == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw QEMUError.commandFailed(command: "xorriso", status: output.status, stderr: output.stderr)
        }
        guard rename(temporary, path) == 0 else {
            throw QEMUError.commandFailed(command: "rename", status: errno, stderr: "\(temporary) could not be put in place at \(path)")
        }
    }
}
