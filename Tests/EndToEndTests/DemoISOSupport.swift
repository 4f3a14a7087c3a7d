import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Plain-QEMU support for DemoISOTests: the demo ISO built once per test run,
// a VM with its serial console and QMP sockets, and SSH into the guest.

/// The demo installer ISO, built by scripts/demo-iso/build once per test run.
enum DemoISO {
    private static let built = Task<URL, any Error> {
        let directory = Repository.root.appendingPathComponent(".build/demo-iso-test")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let iso = directory.appendingPathComponent("nimbus-demo.iso")
        let script = Repository.root.appendingPathComponent("scripts/demo-iso/build")
        let result = try run(script, [iso.path])
        guard result.succeeded else {
            throw E2EError("scripts/demo-iso/build failed (\(result.status)):\n\(result.stderr)")
        }
        return iso
    }

    /// The ISO's path; the first caller waits for the build.
    static func path() async throws -> URL { try await built.value }
}

/// Fails with a clear message when a program or file a test needs is missing.
func requireTools(_ programs: [String], files: [String] = []) throws {
    let missing = programs.filter { !((try? shell("command -v \($0)").succeeded) ?? false) }
        + files.filter { !FileManager.default.fileExists(atPath: $0) }
    guard missing.isEmpty else {
        throw E2EError("missing \(missing.joined(separator: ", ")): install qemu-system-x86, qemu-utils, ovmf, openssh-client, xorriso and the packages in scripts/demo-iso/packages")
    }
}

/// Runs a program found on PATH.
func program(_ name: String, _ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
    try run(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments, in: directory)
}

private func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
}

/// A connected AF_UNIX stream socket, such as QEMU's serial and QMP servers.
final class UnixSocket: @unchecked Sendable {
    private let fd: Int32

    /// Connects, retrying while the server has not created the socket yet.
    init(connectingTo path: String, within timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw E2EError("socket() failed: errno \(errno)") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard path.utf8.count < capacity else { throw E2EError("socket path too long: \(path)") }
            withUnsafeMutableBytes(of: &address.sun_path) { bytes in
                bytes.copyBytes(from: path.utf8)
                bytes[path.utf8.count] = 0
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
                }
            }
            if connected {
                self.fd = fd
                return
            }
            close(fd)
            guard ContinuousClock.now < deadline else { throw E2EError("could not connect to \(path): errno \(errno)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw E2EError("socket write failed: errno \(errno)") }
            bytes = bytes.dropFirst(written)
        }
    }

    /// What arrives within `timeout`: nil if nothing did, empty at end of stream.
    func read(timeout: Duration) throws -> Data? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds(timeout))
        if ready == 0 || (ready < 0 && errno == EINTR) { return nil }
        guard ready > 0 else { throw E2EError("poll failed: errno \(errno)") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw E2EError("socket read failed: errno \(errno)") }
        return Data(buffer[0..<count])
    }

    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    deinit { close(fd) }
}

/// The guest's serial console: a thread drains the socket all the time (an
/// unread console stalls the guest), and tests wait for text in order.
final class SerialConsole: @unchecked Sendable {
    private let socket: UnixSocket
    private let lock = NSLock()
    private var output = Data()
    private var consumed = 0
    private var ended = false

    init(path: String) throws {
        socket = try UnixSocket(connectingTo: path)
        Thread { [self] in drain() }.start()
    }

    private func drain() {
        while true {
            let chunk = try? socket.read(timeout: .milliseconds(500))
            lock.lock()
            defer { lock.unlock() }
            if ended { return }
            guard let chunk else { continue }
            if chunk.isEmpty {
                ended = true
                return
            }
            output.append(chunk)
        }
    }

    /// Everything the guest printed, for failure messages.
    var log: String {
        lock.withLock { String(decoding: output, as: UTF8.self) }
    }

    /// Waits until `text` appears after the previous match, and moves past it.
    func expect(_ text: String, within timeout: Duration) async throws {
        let needle = Data(text.utf8)
        let deadline = ContinuousClock.now + timeout
        while true {
            let found: Bool = lock.withLock {
                guard let range = output[consumed...].range(of: needle) else { return false }
                consumed = range.upperBound
                return true
            }
            if found { return }
            if lock.withLock({ ended }) { throw E2EError("the serial console closed while waiting for \"\(text)\"") }
            guard ContinuousClock.now < deadline else {
                throw E2EError("\"\(text)\" did not appear on the serial console within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func type(_ line: String) throws { try socket.write(line + "\n") }

    func close() {
        lock.withLock { ended = true }
        socket.shutdown()
    }
}

/// A QMP connection: the greeting and capabilities on connect, then one
/// command at a time; events seen meanwhile are kept in `events`.
final class QMPClient {
    private let socket: UnixSocket
    private var pending = Data()
    private(set) var events: [[String: Any]] = []

    init(path: String) throws {
        socket = try UnixSocket(connectingTo: path)
        _ = try nextMessage(within: .seconds(10))
        _ = try execute("qmp_capabilities")
    }

    /// Runs a command and returns its "return" value; a QMP error throws.
    @discardableResult
    func execute(_ command: String, _ arguments: [String: Any] = [:], within timeout: Duration = .seconds(30)) throws -> Any {
        var message: [String: Any] = ["execute": command]
        if !arguments.isEmpty { message["arguments"] = arguments }
        let json = try JSONSerialization.data(withJSONObject: message)
        try socket.write(String(decoding: json, as: UTF8.self) + "\n")
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try nextMessage(within: deadline - ContinuousClock.now)
            if reply["event"] != nil {
                events.append(reply)
            } else if let error = reply["error"] as? [String: Any] {
                throw E2EError("QMP \(command) failed: \(error["class"] ?? "?"): \(error["desc"] ?? "?")")
            } else if let value = reply["return"] {
                return value
            }
        }
    }

    private func nextMessage(within timeout: Duration) throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw E2EError("QMP sent something that is not a JSON object")
                }
                return object
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw E2EError("QMP did not answer within \(timeout)") }
            guard let chunk = try socket.read(timeout: left) else { continue }
            guard !chunk.isEmpty else { throw E2EError("QMP disconnected") }
            pending.append(chunk)
        }
    }
}

/// A QEMU VM under TCG as the demo ISO tests need it: started paused, serial
/// console and QMP connected, then resumed. `stop()` kills it and removes its
/// directory; call it in a defer.
final class DemoVM {
    enum Firmware: String { case bios = "BIOS", uefi = "UEFI" }
    enum DiskBus { case virtio, sata }

    struct Spec {
        var firmware: Firmware
        var disk: URL?
        var diskBus: DiskBus = .virtio
        var installer: URL?
        var configDrive: URL?
        var sshPort: Int
        /// An empty PCIe root port, for hot-plugging a disk.
        var hotplugPort = false
    }

    static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    /// The QEMU command line for a spec, as a pure function of it.
    static func arguments(_ spec: Spec, directory: URL) -> [String] {
        var arguments = [
            "-accel", "tcg", "-machine", "q35", "-m", "512", "-S", "-display", "none", "-nodefaults",
            "-chardev", "socket,id=serial0,path=\(directory.path)/serial.sock,server=on,wait=off",
            "-serial", "chardev:serial0",
            "-qmp", "unix:\(directory.path)/qmp.sock,server=on,wait=off",
            "-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:\(spec.sshPort)-:22",
            "-device", "virtio-net-pci,netdev=net0",
        ]
        if spec.firmware == .uefi {
            arguments += [
                "-drive", "if=pflash,format=raw,readonly=on,file=\(ovmfCode)",
                "-drive", "if=pflash,format=raw,file=\(directory.path)/vars.fd",
            ]
        }
        if let disk = spec.disk {
            arguments += ["-drive", "if=none,id=disk0,format=qcow2,file=\(disk.path)"]
            switch spec.diskBus {
            case .virtio: arguments += ["-device", "virtio-blk-pci,drive=disk0,bootindex=0"]
            case .sata: arguments += ["-device", "ide-hd,drive=disk0,bus=ide.0,bootindex=0"]
            }
        }
        if let installer = spec.installer {
            arguments += [
                "-drive", "if=none,id=cd0-media,media=cdrom,readonly=on,file=\(installer.path)",
                "-device", "ide-cd,drive=cd0-media,id=cd0,bus=ide.1,bootindex=1",
            ]
        }
        if let configDrive = spec.configDrive {
            arguments += [
                "-drive", "if=none,id=cd1-media,media=cdrom,readonly=on,file=\(configDrive.path)",
                "-device", "ide-cd,drive=cd1-media,id=cd1,bus=ide.2",
            ]
        }
        if spec.hotplugPort { arguments += ["-device", "pcie-root-port,id=hotplug0,chassis=1"] }
        return arguments
    }

    let spec: Spec
    let directory: URL
    private let process = Process()
    private let qemuLog: URL
    private(set) var serial: SerialConsole?
    private(set) var qmp: QMPClient?
    /// When `cont` was sent: the guest's time zero.
    private(set) var started = ContinuousClock.now

    init(_ spec: Spec) throws {
        self.spec = spec
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("nimbus-demo-vm-\(UUID().uuidString.prefix(8))")
        qemuLog = directory.appendingPathComponent("qemu.log")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if spec.firmware == .uefi {
            try FileManager.default.copyItem(atPath: Self.ovmfVars, toPath: directory.appendingPathComponent("vars.fd").path)
        }
        _ = FileManager.default.createFile(atPath: qemuLog.path, contents: nil)
        let log = try FileHandle(forWritingTo: qemuLog)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["qemu-system-x86_64"] + Self.arguments(spec, directory: directory)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
    }

    /// Starts QEMU paused, connects the serial console and QMP, then resumes.
    func start() throws {
        try process.run()
        do {
            serial = try SerialConsole(path: directory.appendingPathComponent("serial.sock").path)
            let qmp = try QMPClient(path: directory.appendingPathComponent("qmp.sock").path)
            self.qmp = qmp
            started = ContinuousClock.now
            try qmp.execute("cont")
        } catch {
            throw E2EError("QEMU did not start: \(error)\n--- QEMU output ---\n\(qemuOutput)")
        }
    }

    /// The QMP connection of a started VM.
    var control: QMPClient {
        get throws {
            guard let qmp else { throw E2EError("the VM has not started") }
            return qmp
        }
    }

    /// The serial console of a started VM.
    var console: SerialConsole {
        get throws {
            guard let serial else { throw E2EError("the VM has not started") }
            return serial
        }
    }

    var qemuOutput: String { (try? String(contentsOf: qemuLog, encoding: .utf8)) ?? "" }

    /// The serial log without terminal escape sequences, last part only.
    var serialLog: String {
        let log = (serial?.log ?? "").replacing(/\u{1B}\[[0-9;?=]*[A-Za-z]/, with: "")
        return String(log.suffix(12_000))
    }

    /// Runs `body`; a failure carries the serial console and QEMU's output.
    func diagnosing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let qemu = qemuOutput.isEmpty ? "" : "\n--- QEMU ---\n\(qemuOutput)"
            throw E2EError("\(error)\n--- serial console (\(spec.firmware.rawValue)) ---\n\(serialLog)\(qemu)")
        }
    }

    /// SIGTERM, then SIGKILL after a grace period; removes the VM's directory.
    func stop() {
        serial?.close()
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// An ed25519 key pair made with ssh-keygen in a temporary directory.
struct SSHKey {
    let privateKey: URL
    let publicKey: String

    init(in directory: URL, name: String) throws {
        privateKey = directory.appendingPathComponent(name)
        let made = try program("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(name)@nimbus-tests", "-f", privateKey.path])
        guard made.succeeded else { throw E2EError("ssh-keygen failed: \(made.stderr)") }
        publicKey = try String(contentsOf: URL(fileURLWithPath: privateKey.path + ".pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `command` as root on the guest through a forwarded port.
    func ssh(port: Int, _ command: String) throws -> CommandResult {
        try program("ssh", [
            "-i", privateKey.path, "-p", "\(port)", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "root@127.0.0.1", command,
        ])
    }

    /// Retries `command` until its output satisfies `accept` (QEMU accepts on
    /// the forwarded port before the guest listens); returns that output.
    func waitForSSH(port: Int, _ command: String, within timeout: Duration = .seconds(150),
                    until accept: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = CommandResult(status: -1, stdout: "", stderr: "not tried")
        while ContinuousClock.now < deadline {
            last = try ssh(port: port, command)
            if last.succeeded && accept(last.stdout) { return last.stdout }
            try await Task.sleep(for: .seconds(1))
        }
        throw E2EError("ssh root@127.0.0.1:\(port) '\(command)' did not succeed within \(timeout); last status \(last.status), stdout \(last.stdout), stderr \(last.stderr)")
    }
}
