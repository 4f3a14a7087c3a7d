import Foundation

/// Runs programs with posix_spawn and reaps them with waitpid, never
/// blocking a thread of the cooperative pool. Not with Foundation's Process:
/// on Linux its run() can crash the whole server (an over-read of
/// /proc/self/fd entries, swift-corelibs-foundation #5472, in 6.3.1), and it
/// waits for every inherited descriptor of a daemonizing child to close.
enum ProcessRunner {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a short-lived program to completion, capturing its output.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw QEMUError.launchFailed(executable: executable, reason: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            out.forEach { close($0) }
            throw QEMUError.launchFailed(executable: executable, reason: "pipe: \(String(cString: strerror(errno)))")
        }
        // Our ends must not leak into other children spawned meanwhile.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments) { actions in
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_adddup2(&actions, out[1], 1)
                posix_spawn_file_actions_adddup2(&actions, err[1], 2)
            }
        } catch {
            (out + err).forEach { close($0) }
            throw error
        }
        close(out[1])
        close(err[1])
        let (outRead, errRead) = (out[0], err[0])
        return await withCheckedContinuation { continuation in
            // Both pipes are read to the end (a full pipe would block the
            // child), then the child is reaped; all off the cooperative pool.
            DispatchQueue.global().async {
                let group = DispatchGroup()
                let collected = OutputBox()
                for (fd, isError) in [(outRead, false), (errRead, true)] {
                    group.enter()
                    DispatchQueue.global().async {
                        collected.set(String(decoding: readToEnd(fd), as: UTF8.self), isError: isError)
                        close(fd)
                        group.leave()
                    }
                }
                group.wait()
                let (stdout, stderr) = collected.values
                continuation.resume(returning: Output(status: reap(pid), stdout: stdout, stderr: stderr))
            }
        }
    }

    /// Runs a program whose output is appended to a log file and returns its
    /// exit status. A daemonizing child (QEMU with -daemonize) returns once
    /// its first process exits, whatever its daemon keeps open.
    static func runLogging(_ executable: String, _ arguments: [String], logPath: String) async throws -> Int32 {
        let child = try spawn(executable, arguments) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        return await withCheckedContinuation { continuation in
            // waitpid blocks: keep it off the cooperative pool.
            DispatchQueue.global().async { continuation.resume(returning: reap(child)) }
        }
    }

    /// Spawns `executable` with the standard descriptors `files` sets up,
    /// none of ours besides, and default signal handling.
    static func spawn(
        _ executable: String, _ arguments: [String], files: (inout posix_spawn_file_actions_t) -> Void
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        files(&actions)
        // The child must hold none of our descriptors: not the API's listening
        // socket, not the database, not a parent's process-monitoring pipe.
        try closeDescriptors(from: 3, in: &actions, for: executable)
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
        return pid
    }

    /// Waits for a child (blocking) and returns its exit status, or 128 + the signal that ended it.
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exited = (status & 0x7f) == 0
        return exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Everything a descriptor yields until end of file.
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[0 ..< count]
            } else if count == 0 || errno != EINTR {
                return bytes
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
/// hidden behind _GNU_SOURCE in the Swift overlay; it is looked up at run
/// time. Without it nothing is started: a child holding the database or the
/// API's socket is worse than no child.
private func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t, for executable: String) throws {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
        throw QEMUError.launchFailed(
            executable: executable, reason: "this C library cannot close our descriptors in a child (posix_spawn_file_actions_addclosefrom_np needs glibc 2.34)")
    }
    let failed = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    guard failed == 0 else {
        throw QEMUError.launchFailed(executable: executable, reason: "descriptors could not be marked to close: \(String(cString: strerror(failed)))")
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
