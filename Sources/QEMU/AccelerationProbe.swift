import Foundation

/// Decides between KVM and TCG by running a guest, not by opening /dev/kvm:
/// on some hosts the device opens and QEMU starts, yet guests hang or die
/// once their kernel leaves the bootloader.
///
/// The probe boots a Linux kernel with no root filesystem under KVM. A
/// working KVM reaches the kernel's "VFS: Unable to mount root fs" panic in
/// about a second (TCG takes about four on these machines); a broken one
/// prints nothing and is killed at the timeout.
public struct AccelerationProbe: Sendable {
    public struct Result: Sendable, Equatable {
        public var accelerator: VMSpec.Accelerator
        /// Why, in words for the log.
        public var reason: String
    }

    public var qemu: String
    public var kvmDevice: String
    public var timeout: Duration

    public init(qemu: String = "/usr/bin/qemu-system-x86_64", kvmDevice: String = "/dev/kvm", timeout: Duration = .seconds(15)) {
        self.qemu = qemu
        self.kvmDevice = kvmDevice
        self.timeout = timeout
    }

    /// Probes with `kernel` (a bzImage); without one, KVM cannot be verified and TCG is chosen.
    public func run(kernel: String?) async -> Result {
        let descriptor = open(kvmDevice, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            return Result(accelerator: .tcg, reason: "\(kvmDevice) cannot be opened (\(String(cString: strerror(errno))))")
        }
        close(descriptor)
        guard let kernel, FileManager.default.isReadableFile(atPath: kernel) else {
            return Result(accelerator: .tcg, reason: "no probe kernel to verify KVM with")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-kvm-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            return Result(accelerator: .tcg, reason: "probe directory: \(error)")
        }
        let serial = directory.appendingPathComponent("serial.log").path
        let pidFile = directory.appendingPathComponent("qemu.pid").path
        let arguments = [
            "-accel", "kvm", "-machine", "q35", "-cpu", "host", "-m", "256", "-nodefaults", "-display", "none",
            "-no-reboot", "-kernel", kernel, "-append", "console=ttyS0 panic=-1",
            "-serial", "file:\(serial)", "-daemonize", "-pidfile", pidFile,
        ]
        let started = ContinuousClock.now
        do {
            let log = directory.appendingPathComponent("qemu.log").path
            let status = try await ProcessRunner.runLogging(qemu, arguments, logPath: log)
            guard status == 0 else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return Result(accelerator: .tcg, reason: "QEMU refused KVM: \(QEMULauncher.lastLines(text))")
            }
        } catch {
            return Result(accelerator: .tcg, reason: "QEMU could not start: \(error)")
        }
        let pid = QEMULauncher.readPid(pidFile)
        defer { if let pid { kill(pid, SIGKILL) } }
        while ContinuousClock.now - started < timeout {
            if let log = try? String(contentsOfFile: serial, encoding: .utf8), log.contains("Unable to mount root fs") {
                return Result(accelerator: .kvm, reason: "a probe guest booted under KVM in \(ContinuousClock.now - started)")
            }
            if let pid, !QEMULauncher.isAlive(pid) { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return Result(accelerator: .tcg, reason: "a probe guest did not boot under KVM within \(timeout); using TCG")
    }
}
