import Foundation
import Identity
import NimbusCore
import Testing
@testable import Compute

/// The compute service's lifecycle on the in-memory runtime: what a user
/// sees of create, every action, delete, reconciliation and guest events,
/// and what the runtime was asked to do.
@Suite("Compute service on an in-memory runtime")
struct ComputeServiceTests {
    @Test("an ISO server gets a blank disk of the flavor's size and the ISO in its CD drive, and runs")
    func createFromISO() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let server = try await cloud.server(image: iso)
        #expect(server.status == "ACTIVE")
        #expect(server.powerState == .running)
        #expect(server.launchedAt != nil)
        #expect(server.drives == [CDDrive(id: "cd0", imageId: iso.id)])
        let disk = try #require(cloud.runtime.withRecord { $0.disks.first })
        #expect(disk.value == .blank(sizeBytes: 1 << 30))
        let spec = try #require(cloud.spec(server.id))
        #expect(spec.driveIDs == ["disk0", "cd0"])
        #expect(spec.drive("cd0")?.bootIndex == 1)
        let ports = try cloud.services.networks.ports(deviceID: server.id.rawValue, project: server.projectId)
        #expect(ports.map(\.status) == [.active])
    }

    @Test("Secure Boot and a TPM from the image and flavor reach the VM; the flavor's specs stay with the server; a bad combination is a 400 that records nothing")
    func windowsHardware() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        _ = try cloud.compute.flavors.setExtraSpecs("1", ["hw:tpm_version": "2.0", "hw:tpm_model": "tpm-crb"], cloud.admin)
        let iso = try await cloud.image(properties: ["os_secure_boot": "required", "os_type": "windows"])
        let server = try await cloud.server(image: iso)
        #expect(server.status == "ACTIVE")
        #expect(server.flavorExtraSpecs["hw:tpm_version"] == "2.0")
        let spec = try #require(cloud.spec(server.id)).spec
        #expect(spec.firmware == .uefi(code: VMSpecBuilder.ovmfSecureBootCode, variables: cloud.compute.paths(server.id).uefiVariables, secureBoot: true))
        #expect(spec.tpm?.version == .v2_0 && spec.tpm?.model == .crb)
        #expect(spec.clock == .localtime)
        #expect(cloud.calls().contains("firmware variables OVMF_VARS_4M.ms.fd"))

        // The flavor loses its TPM: the server keeps the one it was made with.
        try cloud.compute.flavors.deleteExtraSpec("1", key: "hw:tpm_version", cloud.admin)
        try cloud.compute.reboot(server.id.rawValue, hard: true, cloud.admin)
        await cloud.settled()
        #expect(try #require(cloud.spec(server.id)).spec.tpm?.version == .v2_0)

        // Windows with a virtio driver disc: virtio disks instead of the defaulted SATA,
        // kept by the server and by its snapshot; with no driver disc, SATA stays.
        let windows = try await cloud.image(properties: [
            "os_type": "windows", "hw_disk_bus": "sata", "nimbus_os_defaults": "os_type,hw_disk_bus",
        ])
        let drivers = try await cloud.image(properties: ["nimbus_driver_disc": "virtio-win"])
        var request = ComputeService.CreateRequest(name: "win", imageRef: windows.id.rawValue, flavorRef: "1")
        request.extraCDs = [drivers.id.rawValue]
        let withDrivers = try cloud.compute.create(request, cloud.admin)[0]
        await cloud.settled()
        #expect(try cloud.current(withDrivers.id).imageOverrides == ["hw_disk_bus": "virtio"])
        #expect(cloud.spec(withDrivers.id)?.drive("disk0")?.bus == .virtio)
        let plain = try await cloud.server("win-sata", image: windows)
        #expect(plain.imageOverrides.isEmpty)
        #expect(cloud.spec(plain.id)?.drive("disk0")?.bus == .sata)

        // Secure Boot on BIOS firmware cannot be given: refused before anything is made.
        let bios = try await cloud.image(properties: ["os_secure_boot": "required", "hw_firmware_type": "bios"])
        let before = try cloud.services.store.servers().count
        let refused = try #require(throws: NimbusError.self) {
            try cloud.compute.create(.init(name: "sb", imageRef: bios.id.rawValue, flavorRef: "1"), cloud.admin)
        }
        #expect(refused.code == .badRequest && refused.message.contains("needs UEFI firmware"), "\(refused.message)")
        #expect(try cloud.services.store.servers().count == before)
    }

    @Test("the console log keeps what follows firmware output that is not UTF-8 (OVMF's code page 437 boxes)")
    func consoleLogWithFirmwareBytes() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let server = try await cloud.server(image: try await cloud.image())
        var bytes = Data("BdsDxe: loading\r\n\u{1B}[04;02H".utf8)
        bytes += Data([0xDA, 0xC4, 0xC4, 0xBF])
        bytes += Data("\r\nInstall to /dev/vda? [yes/no] ".utf8)
        try bytes.write(to: URL(fileURLWithPath: cloud.compute.paths(server.id).consoleLog))
        let output = try cloud.compute.consoleOutput(server.id.rawValue, lines: nil, cloud.admin)
        #expect(output.hasPrefix("BdsDxe: loading") && output.contains("Install to /dev/vda?"), "\(output)")
        #expect(try cloud.compute.consoleOutput(server.id.rawValue, lines: 1, cloud.admin) == "Install to /dev/vda? [yes/no] ")
    }

    @Test("extra CDs join the installer's drive, after it in the boot order; a root disk can be sized apart from the flavor")
    func extraCDsAndRootSize() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        var request = ComputeService.CreateRequest(name: "two-discs", imageRef: iso.id.rawValue, flavorRef: "1")
        request.extraCDs = ["installer"]
        request.rootDiskGiB = 3
        let created = try cloud.compute.create(request, cloud.admin)[0]
        await cloud.settled()
        let server = try cloud.current(created.id)
        #expect(server.drives == [CDDrive(id: "cd0", imageId: iso.id), CDDrive(id: "cd1", imageId: iso.id)])
        #expect(server.disk == 3)
        #expect(cloud.runtime.withRecord { $0.disks.values.first } == .blank(sizeBytes: 3 << 30))
        #expect(cloud.spec(server.id)?.driveIDs == ["disk0", "cd0", "cd1"])
        #expect(cloud.spec(server.id)?.drive("cd1")?.bootIndex == 2)

        var raw = ComputeService.CreateRequest(name: "bad-disc", imageRef: iso.id.rawValue, flavorRef: "1")
        raw.extraCDs = [try await cloud.image(iso: false).id.rawValue]
        let refused = try #require(await refusal { _ = try cloud.compute.create(raw, cloud.admin) })
        #expect(refused.code == .badRequest && refused.message.contains("not an ISO"), "\(refused.message)")
    }

    @Test("a start that fails leaves an ERROR server with the reason, and no files")
    func failedBuild() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let created = try cloud.compute.create(.init(name: "broken", imageRef: iso.id.rawValue, flavorRef: "1"), cloud.admin)[0]
        cloud.runtime.withRecord { $0.failStart[created.id] = "no space left" }
        await cloud.settled()
        let server = try cloud.current(created.id)
        #expect(server.status == "ERROR")
        #expect(server.fault?.message.contains("no space left") == true)
        #expect(!FileManager.default.fileExists(atPath: cloud.compute.paths(created.id).directory.path))
    }

    @Test("stop, start, soft and hard reboot reach the runtime and settle as Nova's states say")
    func powerActions() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let server = try await cloud.server(image: try await cloud.image(properties: ["os_shutdown_timeout": "5"]))
        let id = server.id.rawValue

        try cloud.compute.stop(id, cloud.admin)
        #expect(try cloud.current(server.id).taskState == .poweringOff)
        await cloud.settled()
        #expect(try cloud.current(server.id).status == "SHUTOFF")
        #expect(cloud.calls().last == "stop \(server.id) graceful")

        let refused = try #require(throws: NimbusError.self) { try cloud.compute.stop(id, cloud.admin) }
        #expect(refused.code == .conflict)
        #expect(refused.message == "Cannot 'stop' instance \(server.id) while it is in vm_state stopped")

        try cloud.compute.start(id, cloud.admin)
        await cloud.settled()
        #expect(try cloud.current(server.id).status == "ACTIVE")

        try cloud.compute.reboot(id, hard: false, cloud.admin)
        #expect(try cloud.current(server.id).status == "REBOOT")
        await cloud.settled()
        try cloud.compute.reboot(id, hard: true, cloud.admin)
        #expect(try cloud.current(server.id).status == "HARD_REBOOT")
        await cloud.settled()
        #expect(try cloud.current(server.id).status == "ACTIVE")
        #expect(cloud.calls().filter { $0.hasPrefix("st") }.suffix(4) == [
            "stop \(server.id) graceful", "start \(server.id)", "stop \(server.id) hard", "start \(server.id)",
        ])
    }

    @Test("pause and unpause are done before the answer; a refusal keeps the state and records a fault")
    func pauseActions() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let server = try await cloud.server(image: try await cloud.image())
        try await cloud.compute.pause(server.id.rawValue, cloud.admin)
        #expect(try cloud.current(server.id).status == "PAUSED")
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.paused } == true)
        try await cloud.compute.unpause(server.id.rawValue, cloud.admin)
        #expect(try cloud.current(server.id).status == "ACTIVE")

        cloud.runtime.withRecord { $0.refuseMonitor = true }
        try await cloud.compute.pause(server.id.rawValue, cloud.admin)
        let refused = try cloud.current(server.id)
        #expect(refused.status == "ACTIVE")
        #expect(refused.taskState == nil)
        #expect(refused.fault?.message.contains("pause was refused") == true)
    }

    @Test("rescue boots the rescue image first with the server's disks attached; unrescue boots the disks again")
    func rescue() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let server = try await cloud.server(image: iso)
        let password = try cloud.compute.rescue(server.id.rawValue, imageRef: iso.id.rawValue, cloud.admin)
        #expect(password.count == 12)
        await cloud.settled()
        #expect(try cloud.current(server.id).status == "RESCUE")
        #expect(cloud.spec(server.id)?.driveIDs == ["rescue0", "disk0", "cd0"])
        #expect(cloud.spec(server.id)?.drive("rescue0")?.bootIndex == 0)

        try cloud.compute.unrescue(server.id.rawValue, cloud.admin)
        await cloud.settled()
        let unrescued = try cloud.current(server.id)
        #expect(unrescued.status == "ACTIVE")
        #expect(unrescued.rescueImageId == nil)
        #expect(cloud.spec(server.id)?.driveIDs == ["disk0", "cd0"])
    }

    @Test("createImage copies the disk live into an active qcow2 image and ends the task")
    func snapshot() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image(properties: ["hw_disk_bus": "sata"])
        let server = try await cloud.server(image: iso)
        let image = try cloud.compute.createImage(server.id.rawValue, name: "golden", metadata: ["role": "web"], cloud.admin)
        #expect(try cloud.current(server.id).taskState == .imageSnapshot)
        await cloud.settled()
        #expect(try cloud.current(server.id).taskState == nil)
        let stored = try cloud.services.images.image(image.id.rawValue, cloud.admin)
        #expect(stored.status == .active)
        #expect(stored.diskFormat == "qcow2")
        #expect(stored.properties["hw_disk_bus"] == "sata")
        #expect(stored.properties["role"] == "web")
        #expect(stored.properties["instance_uuid"] == server.id.rawValue)
        #expect(cloud.calls().contains("copy \(server.id) live"))

        // A paused server is copied too; a stopped one from its disk; a refused one leaves no image.
        try cloud.compute.stop(server.id.rawValue, cloud.admin)
        await cloud.settled()
        _ = try cloud.compute.createImage(server.id.rawValue, name: "cold", metadata: [:], cloud.admin)
        await cloud.settled()
        try cloud.compute.start(server.id.rawValue, cloud.admin)
        await cloud.settled()
        #expect(cloud.calls().contains("copy \(server.id) stopped"))
        try await cloud.compute.pause(server.id.rawValue, cloud.admin)
        try await cloud.compute.unpause(server.id.rawValue, cloud.admin)
        try cloud.compute.reboot(server.id.rawValue, hard: false, cloud.admin)
        let before = try cloud.services.store.images().count
        #expect(throws: NimbusError.self) {
            try cloud.compute.createImage(server.id.rawValue, name: "busy", metadata: [:], cloud.admin)
        }
        #expect(try cloud.services.store.images().count == before)
        await cloud.settled()
    }

    @Test("a delete during the build waits for it, then leaves nothing: no VM, no files, no ports, no record")
    func deleteDuringBuild() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let created = try cloud.compute.create(.init(name: "short-lived", imageRef: iso.id.rawValue, flavorRef: "1"), cloud.admin)[0]
        try await cloud.compute.delete(created.id.rawValue, cloud.admin)
        #expect(throws: NimbusError.self) { try cloud.current(created.id) }
        #expect(cloud.runtime.withRecord { $0.running.isEmpty })
        #expect(cloud.calls().last == "stop \(created.id) hard")
        #expect(!FileManager.default.fileExists(atPath: cloud.compute.paths(created.id).directory.path))
        #expect(try cloud.services.networks.ports(deviceID: created.id.rawValue, project: created.projectId).isEmpty)
    }

    @Test("after a crash, a VM that survived is adopted, one that did not is SHUTOFF, and a delete under way is finished")
    func reconcileAfterCrash() async throws {
        let first = try await ComputeHarness()
        defer { first.removeData() }
        let iso = try await first.image()
        let survivor = try await first.server("survivor", image: iso)
        let victim = try await first.server("victim", image: iso)
        let doomed = try await first.server("doomed", image: iso)
        // Nimbus dies while `doomed` is being deleted and `survivor` is rebooting.
        _ = try first.services.store.updateServer(id: doomed.id) { $0.taskState = .deleting }
        _ = try first.services.store.updateServer(id: survivor.id) { $0.taskState = .rebooting }

        let runtime = InMemoryRuntime()
        runtime.withRecord { record in
            record.survivors = [survivor.id]
            record.running[survivor.id] = first.runtime.withRecord { $0.running[survivor.id] }
        }
        let second = try await ComputeHarness(runtime: runtime, reusing: first)
        await second.settled()
        #expect(try second.current(survivor.id).status == "ACTIVE")
        #expect(try second.current(survivor.id).taskState == nil)
        #expect(try second.current(victim.id).status == "SHUTOFF")
        #expect(try second.current(victim.id).powerState == .shutdown)
        #expect(throws: NimbusError.self) { try second.current(doomed.id) }
        #expect(runtime.withRecord { $0.calls }.contains("forwards \(survivor.id)"))
    }

    @Test("a guest that opens its CD tray has ejected the installer: the record says so and the next boot has no CD")
    func trayOpenClearsMedium() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let supervisor = Task { try await InstanceSupervisor(compute: cloud.compute).run() }
        defer { supervisor.cancel() }
        let server = try await cloud.server(image: try await cloud.image())
        #expect(server.drives.first?.imageId != nil)
        cloud.runtime.emit(.trayMoved(drive: "cd0", open: true), from: server.id)
        try await waitFor { try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)] }
        await cloud.settled()
        #expect(cloud.calls().contains("eject \(server.id) cd0 force"), "QEMU lets go of the disc the guest ejected")

        // The drive boots empty, ready for another disc.
        try cloud.compute.reboot(server.id.rawValue, hard: true, cloud.admin)
        await cloud.settled()
        #expect(cloud.spec(server.id)?.driveIDs == ["disk0", "cd0"])
        #expect(cloud.spec(server.id)?.drive("cd0")?.file == nil)

        // A guest powering off makes the server SHUTOFF.
        cloud.runtime.emit(.guestExited, from: server.id)
        try await waitFor { try cloud.current(server.id).status == "SHUTOFF" }
    }

    @Test("events of an earlier launch: its guest's eject stands, its panic or reset does not touch the new VM")
    func earlierLaunch() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let supervisor = Task { try await InstanceSupervisor(compute: cloud.compute).run() }
        defer { supervisor.cancel() }
        let server = try await cloud.server(image: try await cloud.image())
        let first = try #require(await cloud.runtime.generation(server.id))
        try cloud.compute.reboot(server.id.rawValue, hard: true, cloud.admin)
        await cloud.settled()
        #expect(await cloud.runtime.generation(server.id) != first)

        cloud.runtime.emit(.guestPanicked, from: server.id, generation: first)
        cloud.runtime.emit(.trayMoved(drive: "cd0", open: true), from: server.id, generation: first)
        try await waitFor { try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)] }
        await cloud.settled()
        let current = try cloud.current(server.id)
        #expect(current.powerState == .running && current.fault == nil, "a panic of the earlier VM is not the new one's")
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.media["cd0"] } == .some(nil), "the new VM lets go of the disc too")
    }

    @Test("with nimbus_guest_eject=false on the image, the guest's eject leaves the disc in its drive")
    func guestEjectIgnored() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let supervisor = Task { try await InstanceSupervisor(compute: cloud.compute).run() }
        defer { supervisor.cancel() }
        let iso = try await cloud.image(properties: ["nimbus_guest_eject": "false"])
        let server = try await cloud.server(image: iso)
        cloud.runtime.emit(.trayMoved(drive: "cd0", open: true), from: server.id)
        // A second event behind it shows the first was handled.
        cloud.runtime.emit(.guestExited, from: server.id)
        try await waitFor { try cloud.current(server.id).status == "SHUTOFF" }
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: iso.id)])
        #expect(!cloud.calls().contains { $0.hasPrefix("eject") })
    }

    @Test("another project's server is not found; a locked server refuses members but not admins")
    func isolationAndLock() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let server = try await cloud.server(image: try await cloud.image())
        let id = server.id.rawValue
        let stop = try #require(await refusal { try cloud.compute.stop(id, cloud.stranger()) })
        let snapshot = try #require(await refusal { _ = try cloud.compute.createImage(id, name: "stolen", metadata: [:], cloud.stranger()) })
        #expect(stop.code == .notFound && snapshot.code == .notFound)
        await #expect(throws: NimbusError.self) { try await cloud.compute.delete(id, cloud.stranger()) }

        try cloud.compute.setLocked(true, id, cloud.admin)
        let member = ComputeHarness.auth(cloud.services.bootstrap.adminProject, roles: ["member", "reader"], user: "bob")
        let locked = try #require(throws: NimbusError.self) { try cloud.compute.stop(id, member) }
        #expect(locked.message == "Instance \(server.id) is locked")
        try cloud.compute.stop(id, cloud.admin)
        await cloud.settled()
        #expect(try cloud.current(server.id).status == "SHUTOFF")
    }

    @Test("eject and insert change a running VM's drive at once, and a stopped server's for its next start")
    func ejectAndInsert() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let server = try await cloud.server(image: iso)
        let id = server.id.rawValue

        let ejected = try await cloud.compute.eject(id, drive: nil, force: false, cloud.admin)
        #expect(ejected.map(\.drive) == ["cd0"])
        #expect(ejected[0].image == nil)
        #expect(ejected[0].trayOpen)
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.media["cd0"] } == .some(nil))

        let inserted = try await cloud.compute.insert(id, imageRef: "installer", drive: "cd0", cloud.admin)
        #expect(inserted[0].image?.id == iso.id)
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.media["cd0"] ?? nil } != nil)

        try cloud.compute.stop(id, cloud.admin)
        await cloud.settled()
        let callsBefore = cloud.calls().count
        _ = try await cloud.compute.eject(id, drive: "cd0", force: false, cloud.admin)
        #expect(cloud.calls().count == callsBefore, "a stopped server's drive changes in the record only")
        try cloud.compute.start(id, cloud.admin)
        await cloud.settled()
        #expect(cloud.spec(server.id)?.drive("cd0")?.file == nil)
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)])
    }

    @Test("an eject at reboot leaves the disc until the guest resets; the VM waits there, loses the disc, and boots on")
    func ejectAtReboot() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let supervisor = Task { try await InstanceSupervisor(compute: cloud.compute).run() }
        defer { supervisor.cancel() }
        let iso = try await cloud.image()
        let server = try await cloud.server(image: iso)
        let id = server.id.rawValue

        let pending = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        #expect(pending[0].image?.id == iso.id && pending[0].ejectAtReboot, "the guest still reads the disc")
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.media["cd0"] ?? nil } != nil)
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.holdsReboots } == true)
        let generation = cloud.runtime.withRecord { $0.running[server.id]?.generation }

        cloud.runtime.emit(.guestRebooting, from: server.id)
        try await waitFor { cloud.calls().contains("finish-reboot \(server.id)") }
        await cloud.settled()
        let calls = cloud.calls()
        let eject = try #require(calls.firstIndex(of: "eject \(server.id) cd0 force"), "\(calls)")
        let finish = try #require(calls.firstIndex(of: "finish-reboot \(server.id)"), "\(calls)")
        #expect(eject < finish, "the disc is out before the firmware runs again")
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)])
        let vm = try #require(cloud.runtime.withRecord { $0.running[server.id] })
        #expect(!vm.holdsReboots && !vm.waitingAtReset && vm.generation == generation, "the same VM boots on")
        #expect(try cloud.current(server.id).status == "ACTIVE")

        // A VM that stops before it resets loses the disc too, and starts without it.
        _ = try await cloud.compute.insert(id, imageRef: iso.id.rawValue, drive: nil, cloud.admin)
        _ = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        try cloud.compute.stop(id, cloud.admin)
        await cloud.settled()
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)])
        // Stopped, there is no reset to wait for: the disc goes at once.
        _ = try await cloud.compute.insert(id, imageRef: iso.id.rawValue, drive: nil, cloud.admin)
        let now = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        #expect(now[0].image == nil && !now[0].ejectAtReboot)

        // A reboot through the API boots without it as well.
        _ = try await cloud.compute.insert(id, imageRef: iso.id.rawValue, drive: nil, cloud.admin)
        try cloud.compute.start(id, cloud.admin)
        await cloud.settled()
        _ = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        try cloud.compute.reboot(id, hard: true, cloud.admin)
        await cloud.settled()
        #expect(cloud.spec(server.id)?.drive("cd0")?.file == nil)
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)])

        let empty = try #require(await refusal { _ = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin) })
        #expect(empty.code == .conflict && empty.message.contains("is empty"), "\(empty.message)")
    }

    @Test("a disc that stays in at the held reset: the VM starts afresh from the record, without it; a paused server stays paused")
    func stuckDiscAtReset() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let supervisor = Task { try await InstanceSupervisor(compute: cloud.compute).run() }
        defer { supervisor.cancel() }
        let server = try await cloud.server(image: try await cloud.image())
        let id = server.id.rawValue
        _ = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        cloud.runtime.withRecord { _ = $0.running[server.id]?.stuckDrives.insert("cd0") }
        let first = cloud.runtime.withRecord { $0.running[server.id]?.generation }
        cloud.runtime.emit(.guestRebooting, from: server.id)
        try await waitFor { cloud.runtime.withRecord { $0.running[server.id]?.generation } != first }
        await cloud.settled()
        #expect(!cloud.calls().contains("finish-reboot \(server.id)"), "a VM with the disc still in is not let go")
        #expect(cloud.spec(server.id)?.drive("cd0")?.file == nil, "the new VM starts with the drive empty")
        #expect(try cloud.current(server.id).status == "ACTIVE")

        // Paused while it waited: reset, but the CPUs stay stopped until unpause.
        _ = try await cloud.compute.insert(id, imageRef: "installer", drive: nil, cloud.admin)
        _ = try await cloud.compute.eject(id, drive: nil, force: false, atReboot: true, cloud.admin)
        try await cloud.compute.pause(id, cloud.admin)
        cloud.runtime.emit(.guestRebooting, from: server.id)
        try await waitFor { cloud.calls().contains("finish-reboot \(server.id)") }
        await cloud.settled()
        #expect(cloud.runtime.withRecord { $0.running[server.id]?.paused } == true)
        #expect(try cloud.current(server.id).status == "PAUSED")
    }

    @Test("a reboot from CD boots the CD drives first once; the guest's own reboots after it start from the disk")
    func rebootFromCD() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let server = try await cloud.server(image: iso)
        let id = server.id.rawValue

        try cloud.compute.reboot(id, hard: false, from: .cdrom, cloud.admin)
        await cloud.settled()
        let once = try #require(cloud.spec(server.id))
        #expect(once.drive("cd0")?.bootIndex == 0 && once.drive("disk0")?.bootIndex == 1)
        #expect(once.spec.bootIndexesAfterFirstBoot == ["disk0": 0, "cd0": 1])
        #expect(try cloud.current(server.id).status == "ACTIVE")

        try cloud.compute.reboot(id, hard: true, cloud.admin)
        await cloud.settled()
        let usual = try #require(cloud.spec(server.id))
        #expect(usual.drive("disk0")?.bootIndex == 0 && usual.drive("cd0")?.bootIndex == 1)
        #expect(usual.spec.bootIndexesAfterFirstBoot.isEmpty)

        _ = try await cloud.compute.eject(id, drive: nil, force: false, cloud.admin)
        let noDisc = try #require(await refusal { try cloud.compute.reboot(id, hard: true, from: .cdrom, cloud.admin) })
        #expect(noDisc.code == .conflict && noDisc.message.contains("no CD drive holds a disc"), "\(noDisc.message)")
        #expect(try cloud.current(server.id).status == "ACTIVE")
    }

    @Test("bad media requests are clear 4xx and change nothing")
    func badMedia() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let iso = try await cloud.image()
        let disk = try await cloud.image(iso: false)
        let server = try await cloud.server(image: iso)
        let fromDisk = try await cloud.server("from-disk", image: disk)
        let id = server.id.rawValue

        let full = try #require(await refusal { _ = try await cloud.compute.insert(id, imageRef: iso.id.rawValue, drive: nil, cloud.admin) })
        #expect(full.code == .conflict && full.message.contains("eject it first"), "\(full.message)")
        let noDrive = try #require(await refusal { _ = try await cloud.compute.eject(id, drive: "cd7", force: false, cloud.admin) })
        #expect(noDrive.code == .notFound && noDrive.message.contains("no CD drive cd7"), "\(noDrive.message)")
        let none = try #require(await refusal { _ = try await cloud.compute.eject(fromDisk.id.rawValue, drive: nil, force: false, cloud.admin) })
        #expect(none.code == .notFound, "\(none.message)")
        let stranger = try #require(await refusal { _ = try await cloud.compute.eject(id, drive: nil, force: false, cloud.stranger()) })
        #expect(stranger.code == .notFound, "\(stranger.message)")

        _ = try await cloud.compute.eject(id, drive: nil, force: false, cloud.admin)
        let empty = try #require(await refusal { _ = try await cloud.compute.eject(id, drive: nil, force: false, cloud.admin) })
        #expect(empty.code == .conflict && empty.message.contains("is empty"), "\(empty.message)")
        let notISO = try #require(await refusal { _ = try await cloud.compute.insert(id, imageRef: disk.id.rawValue, drive: nil, cloud.admin) })
        #expect(notISO.code == .badRequest && notISO.message.contains("not an ISO"), "\(notISO.message)")
        let missing = try #require(await refusal { _ = try await cloud.compute.insert(id, imageRef: "no-such-image", drive: nil, cloud.admin) })
        #expect(missing.code == .badRequest, "\(missing.message)")
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: nil)])

        // A tray the guest locked refuses a plain eject, and the record keeps the disc; force takes it out.
        _ = try await cloud.compute.insert(id, imageRef: iso.id.rawValue, drive: nil, cloud.admin)
        cloud.runtime.withRecord { _ = $0.running[server.id]?.lockedTrays.insert("cd0") }
        let locked = try #require(await refusal { _ = try await cloud.compute.eject(id, drive: nil, force: false, cloud.admin) })
        #expect(locked.code == .conflict && locked.message.contains("locked"), "\(locked.message)")
        #expect(try cloud.current(server.id).drives == [CDDrive(id: "cd0", imageId: iso.id)])
        let forced = try await cloud.compute.eject(id, drive: nil, force: true, cloud.admin)
        #expect(forced[0].image == nil)
    }

    @Test("the screen, keys and console URLs need a running server; a stopped one is Nova's 409")
    func consoles() async throws {
        let cloud = try await ComputeHarness()
        defer { cloud.removeData() }
        let server = try await cloud.server(image: try await cloud.image())
        let id = server.id.rawValue
        #expect(try await cloud.compute.screenshot(id, cloud.admin).starts(with: [0x89, 0x50, 0x4e, 0x47]))
        try await cloud.compute.sendKeys(id, chords: ["ctrl-alt-delete"], text: "y", cloud.admin)
        #expect(cloud.calls().contains { $0.hasPrefix("press ") && $0.contains(" y ") }, "\(cloud.calls())")
        #expect(try await cloud.compute.consoleToken(id, kind: .vnc, cloud.admin).count >= 16)

        try cloud.compute.stop(id, cloud.admin)
        await cloud.settled()
        let refused = [
            await refusal { _ = try await cloud.compute.screenshot(id, cloud.admin) },
            await refusal { try await cloud.compute.sendKeys(id, chords: ["ret"], text: nil, cloud.admin) },
            await refusal { _ = try await cloud.compute.consoleToken(id, kind: .serial, cloud.admin) },
        ]
        for error in refused {
            #expect(error?.code == .conflict)
            #expect(error?.message.contains("SHUTOFF") == true, "\(String(describing: error))")
        }
    }

    /// Polls `condition` for up to five seconds.
    func waitFor(_ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met in time")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// The NimbusError `body` throws; nil when it throws none.
func refusal(_ body: () async throws -> Void) async -> NimbusError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? NimbusError
    }
}
