import Foundation

/// Decides between KVM and TCG by running a guest, not by opening /dev/kvm:
/// on some hosts the device opens and QEMU starts, yet guests crash, or
/// crawl with every instruction trapping (this project's own machines run
/// the probe's count about a thousand times slower under KVM than TCG does).
///
/// The probe boots `ProbeGuest` under KVM: it must reach long mode within
/// `timeout` and then count to a billion within `countBudget`. Hardware
/// does that count in about a third of a second, TCG in about five; a
/// broken KVM never finishes it. Anything short of that is TCG, with the
/// reason for the log.
public struct AccelerationProbe: Sendable {
    public struct Result: Sendable, Equatable {
        public var accelerator: VMSpec.Accelerator
        /// Why, in words for the log.
        public var reason: String
        public init(accelerator: VMSpec.Accelerator, reason: String) {
            self.accelerator = accelerator
            self.reason = reason
        }
    }

    /// What the probe guest did under one accelerator.
    public enum Observation: Sendable, Equatable {
        /// QEMU would not start the guest, in QEMU's words.
        case refused(String)
        /// The guest did not reach long mode within the timeout (crashed or hung).
        case neverArrived
        /// The guest reached long mode and counted, or had not finished counting when given up on.
        case arrived(after: Duration, counted: Duration?)
    }

    public var qemu: String
    public var kvmDevice: String
    public var timeout: Duration
    public var countBudget: Duration

    public init(
        qemu: String = "/usr/bin/qemu-system-x86_64", kvmDevice: String = "/dev/kvm",
        timeout: Duration = .seconds(10), countBudget: Duration = .seconds(2)
    ) {
        self.qemu = qemu
        self.kvmDevice = kvmDevice
        self.timeout = timeout
        self.countBudget = countBudget
    }

    public func run() async -> Result {
        let descriptor = open(kvmDevice, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            return Result(accelerator: .tcg, reason: "\(kvmDevice) cannot be opened (\(String(cString: strerror(errno))))")
        }
        close(descriptor)
        return decide(await observe(under: .kvm))
    }

    /// The choice a given observation of the guest under KVM leads to.
    public func decide(_ observation: Observation) -> Result {
        switch observation {
        case .refused(let why):
            return Result(accelerator: .tcg, reason: "QEMU refused KVM: \(why)")
        case .neverArrived:
            return Result(accelerator: .tcg, reason: "the probe guest did not reach long mode under KVM within \(timeout)")
        case .arrived(_, nil):
            return Result(
                accelerator: .tcg,
                reason: "the probe guest under KVM did not count to \(ProbeGuest.iterations) within \(countBudget): KVM is too slow to use")
        case .arrived(let boot, let count?):
            return Result(accelerator: .kvm, reason: "the probe guest booted under KVM in \(boot) and counted to \(ProbeGuest.iterations) in \(count)")
        }
    }

    /// Boots the probe guest under `accelerator` and watches its serial port.
    public func observe(under accelerator: VMSpec.Accelerator) async -> Observation {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-acceleration-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let disk = directory.appendingPathComponent("probe.img")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try ProbeGuest.writeDisk(to: disk)
        } catch {
            return .refused("the probe disk could not be written: \(error)")
        }
        let serial = directory.appendingPathComponent("serial.log").path
        let pidFile = directory.appendingPathComponent("qemu.pid").path
        var arguments = ["-accel", accelerator.rawValue, "-machine", "q35", "-m", "64", "-nodefaults", "-display", "none", "-no-reboot"]
        if accelerator == .kvm { arguments += ["-cpu", "host"] }
        arguments += [
            "-drive", "if=none,id=probe,format=raw,file=\(disk.path)", "-device", "ide-hd,bus=ide.0,drive=probe,bootindex=0",
            "-serial", "file:\(serial)", "-daemonize", "-pidfile", pidFile,
        ]
        let started = ContinuousClock.now
        do {
            let log = directory.appendingPathComponent("qemu.log").path
            let status = try await ProcessRunner.runLogging(qemu, arguments, logPath: log)
            guard status == 0 else {
                return .refused(QEMULauncher.lastLines((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
            }
        } catch {
            return .refused("\(error)")
        }
        let pid = QEMULauncher.readPid(pidFile)
        defer { if let pid { kill(pid, SIGKILL) } }
        var arrival: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            let output = (try? String(contentsOfFile: serial, encoding: .utf8)) ?? ""
            if arrival == nil, output.contains(ProbeGuest.arrived) { arrival = now }
            if let arrival {
                if output.contains(ProbeGuest.counted) { return .arrived(after: arrival - started, counted: now - arrival) }
                if now - arrival > countBudget { return .arrived(after: arrival - started, counted: nil) }
            } else if now - started > timeout {
                return .neverArrived
            }
            if let pid, !QEMULauncher.isAlive(pid), arrival == nil || !output.contains(ProbeGuest.counted) {
                return arrival.map { .arrived(after: $0 - started, counted: nil) } ?? .neverArrived
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
