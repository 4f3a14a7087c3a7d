/// Builds QEMU's argument list from a `VMSpec`: a pure function, so a change
/// in launch behaviour shows up as a reviewable diff of golden files.
public enum QEMUCommandLine {
    public static let executable = "qemu-system-x86_64"

    public static func arguments(for spec: VMSpec) -> [String] {
        var arguments = [
            "-name", "guest=\(escape(spec.name)),debug-threads=on",
            "-machine", machine(spec),
            "-cpu", cpu(spec),
            "-smp", "\(spec.cpus)",
            "-m", "\(spec.memoryMiB)",
            "-nodefaults", "-no-user-config",
            "-rtc", rtc(spec),
            "-boot", "strict=off",
            // A seccomp filter: no obsolete system calls, no scheduler or
            // resource changes. Not elevateprivileges=deny or spawn=deny, as
            // libvirt sets: -daemonize forks and calls setsid after the filter
            // is in place, and QEMU dies of SIGSYS under those.
            "-sandbox", "on,obsolete=deny,resourcecontrol=deny",
        ]
        if kvmTimers(spec) { arguments += ["-global", "kvm-pit.lost_tick_policy=delay"] }
        if let uuid = spec.uuid { arguments += ["-uuid", uuid] }
        if case .uefi(let code, let variables, let secureBoot) = spec.firmware {
            arguments += [
                "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(escape(code))",
                "-drive", "if=pflash,format=raw,unit=1,file=\(escape(variables))",
            ]
            // Only code running in SMM may write the flash: the keys stay the firmware's.
            if secureBoot { arguments += ["-global", "driver=cfi.pflash01,property=secure,value=on"] }
        }
        arguments += controllers(for: spec)
        // Each AHCI port holds one device: number the SATA drives in order.
        var sataPort = 0
        for drive in spec.drives {
            arguments += self.drive(drive, machine: spec.machine, sataPort: sataPort)
            if drive.bus == .sata { sataPort += 1 }
        }
        for nic in spec.nics { arguments += self.nic(nic) }
        arguments += [
            "-chardev", "socket,id=qmp,path=\(escape(spec.sockets.qmp)),server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "socket,id=serial0,path=\(escape(spec.sockets.serial)),server=on,wait=off",
            "-serial", "chardev:serial0",
        ]
        if let handoff = spec.sockets.fileHandoff {
            arguments += [
                "-chardev", "socket,id=qmp-handoff,path=\(escape(handoff)),server=on,wait=off",
                "-mon", "chardev=qmp-handoff,mode=control",
            ]
        }
        arguments += [
            // A standard VGA adapter and a USB bus, for the tablet and whatever the guest wants.
            "-device", "VGA,id=video0",
            "-device", "qemu-xhci,id=usb",
        ]
        // An absolute pointer, so noVNC's mouse is where the guest's is.
        if spec.tablet { arguments += ["-device", "usb-tablet,id=tablet0,bus=usb.0"] }
        arguments += ["-device", "virtio-rng-pci,id=rng0", "-display", "none"]
        if let tpm = spec.tpm {
            arguments += [
                "-chardev", "socket,id=chrtpm,path=\(escape(tpm.socket))",
                "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
                "-device", "\(tpm.model.rawValue),tpmdev=tpm0,id=tpm0-device",
            ]
        }
        if let vnc = spec.sockets.vnc { arguments += ["-vnc", "unix:\(escape(vnc))"] }
        if let pidFile = spec.pidFile { arguments += ["-daemonize", "-pidfile", pidFile] }
        // QEMU opens its disks, sockets and pid file first, then becomes this
        // user (its seccomp filter allows the change: elevateprivileges is not denied).
        if let user = spec.user { arguments += ["-runas", "\(user.uid):\(user.gid)"] }
        if spec.startPaused { arguments += ["-S"] }
        arguments += ["-msg", "timestamp=on"]
        return arguments
    }

    static func machine(_ spec: VMSpec) -> String {
        var options = [spec.machine, "accel=\(spec.accelerator.rawValue)"]
        if case .uefi(_, _, secureBoot: true) = spec.firmware { options.append("smm=on") }
        if kvmTimers(spec) { options.append("hpet=off") }
        return options.joined(separator: ",")
    }

    /// The host's CPU under KVM, QEMU's richest model under TCG; Hyper-V
    /// enlightenments as Nova's libvirt driver sets them for Windows, with
    /// the Hyper-V clock as its time source.
    static func cpu(_ spec: VMSpec) -> String {
        guard spec.accelerator == .kvm else { return "max" }
        guard spec.hyperV else { return "host" }
        return ([
            "host", "hv-relaxed", "hv-vapic", "hv-spinlocks=0x1fff", "hv-vpindex", "hv-runtime", "hv-synic", "hv-reset",
            "hv-frequencies", "hv-tlbflush", "hv-ipi", "hv-time",
        ]).joined(separator: ",")
    }

    static func rtc(_ spec: VMSpec) -> String {
        "base=\(spec.clock.rawValue)" + (kvmTimers(spec) ? ",driftfix=slew" : "")
    }

    /// Nova's KVM timers for Windows: late PIT ticks delayed, late RTC
    /// ticks caught up, no HPET. (Under TCG QEMU has no in-kernel PIT.)
    static func kvmTimers(_ spec: VMSpec) -> Bool {
        spec.accelerator == .kvm && spec.hyperV
    }

    /// Buses some drives need that the machine does not have built in.
    static func controllers(for spec: VMSpec) -> [String] {
        var arguments: [String] = []
        // SCSI drives, and CD drives on the virtio bus (virtio-blk has no CD), sit on virtio-scsi.
        if spec.drives.contains(where: { $0.bus == .scsi || ($0.bus == .virtio && $0.kind == .cdrom) }) {
            arguments += ["-device", "virtio-scsi-pci,id=scsi0"]
        }
        if !isQ35(spec.machine), spec.drives.contains(where: { $0.bus == .sata }) {
            arguments += ["-device", "ahci,id=ahci0"]
        }
        return arguments
    }

    static func drive(_ drive: Drive, machine: String, sataPort: Int) -> [String] {
        var backend = ["if=none", "id=\(drive.backendID)"]
        if drive.kind == .cdrom { backend.append("media=cdrom") }
        if let file = drive.file {
            backend += ["file=\(escape(file))", "format=\(drive.format)"]
        }
        if drive.readOnly || drive.kind == .cdrom { backend.append("readonly=on") }
        if drive.kind == .disk { backend += ["cache=writeback", "discard=unmap"] }

        var device: [String]
        switch (drive.bus, drive.kind) {
        case (.virtio, .disk): device = ["virtio-blk-pci"]
        case (.virtio, .cdrom), (.scsi, .cdrom): device = ["scsi-cd", "bus=scsi0.0"]
        case (.scsi, .disk): device = ["scsi-hd", "bus=scsi0.0"]
        case (.sata, _), (.ide, _):
            device = [drive.kind == .cdrom ? "ide-cd" : "ide-hd"]
            if drive.bus == .sata { device.append(isQ35(machine) ? "bus=ide.\(sataPort)" : "bus=ahci0.\(sataPort)") }
        }
        device += ["drive=\(drive.backendID)", "id=\(drive.id)"]
        if let bootIndex = drive.bootIndex { device.append("bootindex=\(bootIndex)") }
        return ["-drive", backend.joined(separator: ","), "-device", device.joined(separator: ",")]
    }

    static func nic(_ nic: NIC) -> [String] {
        var netdev = [
            "user", "id=\(nic.id)", "net=\(nic.network)", "host=\(nic.gateway)", "dhcpstart=\(nic.dhcpStart)",
        ]
        if let dns = nic.dns { netdev.append("dns=\(dns)") }
        if let hostname = nic.hostname { netdev.append("hostname=\(escape(hostname))") }
        if nic.restrict { netdev.append("restrict=on") }
        for forward in nic.forwards {
            netdev.append("hostfwd=tcp:\(forward.hostAddress):\(forward.hostPort)-:\(forward.guestPort)")
        }
        return [
            "-netdev", netdev.joined(separator: ","),
            "-device", "\(nic.model),netdev=\(nic.id),mac=\(nic.mac),id=\(nic.id)-device",
        ]
    }

    static func isQ35(_ machine: String) -> Bool {
        machine == "q35" || machine.hasPrefix("pc-q35")
    }

    /// QEMU option values separate fields with commas; a literal comma is doubled.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: ",", with: ",,")
    }
}
