import Foundation

/// qemu-img: creates root disks, overlays and snapshots of installed disks.
public struct QEMUImageTool: Sendable {
    public var executable: String

    public init(executable: String = "/usr/bin/qemu-img") {
        self.executable = executable
    }

    /// A blank sparse qcow2: creation time does not depend on its size.
    public func createBlank(at path: String, sizeBytes: Int64) async throws {
        try await run(["create", "-q", "-f", "qcow2", path, "\(sizeBytes)"])
    }

    /// A qcow2 overlay over a read-only base image, optionally larger than the base.
    public func createOverlay(at path: String, backingFile: String, backingFormat: String, sizeBytes: Int64? = nil) async throws {
        var arguments = ["create", "-q", "-f", "qcow2", "-F", backingFormat, "-b", backingFile, path]
        if let sizeBytes { arguments.append("\(sizeBytes)") }
        try await run(arguments)
    }

    /// Flattens any image (with its backing chain) into a standalone file.
    public func convert(from source: String, to destination: String, outputFormat: String = "qcow2") async throws {
        try await run(["convert", "-q", "-O", outputFormat, source, destination])
    }

    /// What qemu-img reports about a file.
    public struct Info: Sendable, Equatable, Decodable {
        public var format: String
        public var virtualSize: Int64
        public var backingFilename: String?
        enum CodingKeys: String, CodingKey {
            case format
            case virtualSize = "virtual-size"
            case backingFilename = "backing-filename"
        }
    }

    public func info(of path: String, format: String? = nil) async throws -> Info {
        var arguments = ["info", "--output=json"]
        if let format { arguments += ["-f", format] }
        arguments.append(path)
        let output = try await run(arguments)
        do {
            return try JSONDecoder().decode(Info.self, from: Data(output.utf8))
        } catch {
            throw QEMUError.unexpectedOutput(command: "qemu-img info", output: String(output.prefix(500)))
        }
    }

    @discardableResult
    private func run(_ arguments: [String]) async throws -> String {
        let output = try await ProcessRunner.run(executable, arguments)
        guard output.status == 0 else {
            throw QEMUError.commandFailed(command: "qemu-img \(arguments.first ?? "")", status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }
}
