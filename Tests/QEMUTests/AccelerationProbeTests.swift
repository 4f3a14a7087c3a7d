import Foundation
import QEMU
import Testing

@Suite("Acceleration probe")
struct AccelerationProbeTests {
    @Test("without a KVM device, TCG is chosen and the reason says why")
    func noDevice() async {
        let result = await AccelerationProbe(kvmDevice: "/nonexistent/kvm").run(kernel: nil)
        #expect(result.accelerator == .tcg)
        #expect(result.reason.contains("/nonexistent/kvm"))
    }

    @Test("with a device but no probe guest, KVM is not trusted")
    func noKernel() async throws {
        // /dev/null opens read-write like a device node would.
        let result = await AccelerationProbe(kvmDevice: "/dev/null").run(kernel: nil)
        #expect(result.accelerator == .tcg)
        #expect(result.reason.contains("no probe kernel"))
    }
}
