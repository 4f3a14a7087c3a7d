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

extension ProcessRunner {
    /// Runs a program whose output is appended to a log file and returns its
    /// exit status. Spawned with posix_spawn and reaped with waitpid, not with
    /// Foundation's Process, which waits for every inherited descriptor to
    /// close: a daemonizing child (QEMU with -daemonize) would keep it waiting
    /// for as long as the VM runs.
    static func runLogging(_ executable: String, _ arguments: [String], logPath: String) async throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The VM must hold none of our descriptors: not the API's listening
        // socket, not the database, not a parent's process-monitoring pipe.
        closeDescriptors(from: 3, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        resetSignals(in: &attributes)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw QEMUError.launchFailed(executable: executable, reason: String(cString: strerror(spawned)))
        }
        let child = pid
        return await withCheckedContinuation { continuation in
            // waitpid blocks: keep it off the cooperative pool.
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0, errno == EINTR {}
                let exited = (status & 0x7f) == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }
        }
    }
}

/// Signal handling in the server (SIGTERM and SIGINT watched through
/// dispatch sources, which set them to SIG_IGN) would otherwise be inherited
/// across exec: a QEMU that ignores SIGTERM cannot be stopped cleanly. The
/// child starts with default dispositions and nothing blocked.
private func resetSignals(in attributes: inout posix_spawnattr_t) {
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    posix_spawnattr_setsigmask(&attributes, &unblocked)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34 and later) is
/// hidden behind _GNU_SOURCE in the Swift overlay; it is looked up at run time.
private func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
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
