import Foundation

/// Runs a short-lived program to completion without blocking a thread of the
/// cooperative pool, capturing its output.
enum ProcessRunner {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            // Read both pipes to the end off the cooperative pool; a full pipe would block the child.
            let group = DispatchGroup()
            let collected = OutputBox()
            for (pipe, isError) in [(stdout, false), (stderr, true)] {
                group.enter()
                DispatchQueue.global().async {
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    collected.set(String(decoding: data, as: UTF8.self), isError: isError)
                    group.leave()
                }
            }
            process.terminationHandler = { process in
                group.notify(queue: .global()) {
                    let (out, err) = collected.values
                    continuation.resume(returning: Output(status: process.terminationStatus, stdout: out, stderr: err))
                }
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                try? stdout.fileHandleForWriting.close()
                try? stderr.fileHandleForWriting.close()
                continuation.resume(throwing: QEMUError.launchFailed(executable: executable, reason: "\(error)"))
            }
        }
    }
}

/// The two outputs of a process, filled from two reader threads.
private final class OutputBox: @unchecked Sendable {
    // Guarded by `lock`; written once per stream by the reader threads.
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    func set(_ text: String, isError: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isError { err = text } else { out = text }
    }

    var values: (String, String) {
        lock.lock()
        defer { lock.unlock() }
        return (out, err)
    }
}
