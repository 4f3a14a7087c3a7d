import Foundation
import Synchronization

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
            // One log line: QEMU's last words may span several.
            let said = why.split(whereSeparator: \.isNewline).joined(separator: " | ")
            return Result(accelerator: .tcg, reason: "QEMU stopped the probe guest under KVM: \(said)")
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
        let log = directory.appendingPathComponent("qemu.log").path
        var arguments = ["-accel", accelerator.rawValue, "-machine", "q35", "-m", "64", "-nodefaults", "-display", "none", "-no-reboot"]
        if accelerator == .kvm { arguments += ["-cpu", "host"] }
        arguments += [
            "-drive", "if=none,id=probe,format=raw,file=\(disk.path)", "-device", "ide-hd,bus=ide.0,drive=probe,bootindex=0",
            "-serial", "file:\(serial)",
        ]
        // A child of ours under coreutils' timeout, not a daemon: if Nimbus
        // stops mid-probe, the guest still dies when its time is up.
        let limit = (timeout + countBudget).components.seconds + 5
        let started = ContinuousClock.now
        let child: ChildExit
        do {
            let pid = try ProcessRunner.spawn("/usr/bin/timeout", ["--signal=KILL", "\(limit)", qemu] + arguments) { actions in
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
            child = ChildExit(watching: pid)
        } catch {
            return .refused("\(error)")
        }
        defer { child.release() }
        var arrival: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            let exited = child.hasExited
            let output = (try? String(contentsOfFile: serial, encoding: .utf8)) ?? ""
            if arrival == nil, output.contains(ProbeGuest.arrived) { arrival = now }
            if let arrival {
                if output.contains(ProbeGuest.counted) { return .arrived(after: arrival - started, counted: now - arrival) }
                if now - arrival > countBudget || exited { return .arrived(after: arrival - started, counted: nil) }
            } else if exited {
                // QEMU stopped before the guest got anywhere: what it said is why, if it said anything.
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return text.isEmpty ? .neverArrived : .refused(QEMULauncher.lastLines(text))
            } else if now - started > timeout {
                return .neverArrived
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Whether a child has exited. The watch waits without reaping (WNOWAIT),
/// so the pid stays ours, and safe to signal, until `release` reaps it.
private final class ChildExit: Sendable {
    private let exited = Mutex(false)
    let pid: pid_t

    init(watching pid: pid_t) {
        self.pid = pid
        DispatchQueue.global().async {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
            self.exited.withLock { $0 = true }
        }
    }

    var hasExited: Bool { exited.withLock { $0 } }

    /// Stops the child (coreutils' timeout passes the signal on to QEMU) and reaps it.
    func release() {
        kill(pid, SIGTERM)
        DispatchQueue.global().async { [pid] in _ = ProcessRunner.reap(pid) }
    }
}
