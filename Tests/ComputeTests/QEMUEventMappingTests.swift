import QMP
import Testing
@testable import Compute

/// The one place QMP events become lifecycle events.
@Suite("QMP events as lifecycle events")
struct QEMUEventMappingTests {
    @Test("the guest's reset, tray and panic count; Nimbus's own pause, resume and power button do not")
    func mapping() {
        #expect(QEMURuntime.lifecycleEvent(.reset(guest: true, reason: "guest-reset")) == .guestReset)
        #expect(QEMURuntime.lifecycleEvent(.reset(guest: false, reason: "host-qmp-system-reset")) == nil)
        #expect(QEMURuntime.lifecycleEvent(.deviceTrayMoved(device: "cd0-drive", id: "/machine/peripheral/cd0", trayOpen: true))
            == .trayMoved(drive: "cd0", open: true))
        #expect(QEMURuntime.lifecycleEvent(.deviceTrayMoved(device: "", id: "/machine/peripheral/cd1", trayOpen: false))
            == .trayMoved(drive: "cd1", open: false))
        #expect(QEMURuntime.lifecycleEvent(.guestPanicked) == .guestPanicked)
        // Only while reboots are held does a guest's reset come as a SHUTDOWN: the VM waits.
        #expect(QEMURuntime.lifecycleEvent(.shutdown(guest: true, reason: "guest-reset")) == .guestRebooting)
        for kind: QMPEventKind in [.stop, .resume, .powerdown, .shutdown(guest: true, reason: "guest-shutdown"), .other("RTC_CHANGE")] {
            #expect(QEMURuntime.lifecycleEvent(kind) == nil, "\(kind)")
        }
    }
}
