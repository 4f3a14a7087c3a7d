import Foundation
import QEMU
import Testing

@Suite("Acceleration probe")
struct AccelerationProbeTests {
    @Test("without a KVM device, TCG is chosen and the reason says why")
    func noDevice() async {
        let result = await AccelerationProbe(kvmDevice: "/nonexistent/kvm").run()
        #expect(result.accelerator == .tcg)
        #expect(result.reason.contains("/nonexistent/kvm"))
    }

    @Test("KVM only when the guest reached long mode and counted in time; every other outcome is TCG with its reason")
    func decisions() {
        let probe = AccelerationProbe(timeout: .seconds(10), countBudget: .seconds(2))
        let working = probe.decide(.arrived(after: .milliseconds(300), counted: .milliseconds(350)))
        #expect(working.accelerator == .kvm)
        #expect(working.reason.contains("counted to 1000000000"))
        let crawling = probe.decide(.arrived(after: .seconds(3), counted: nil))
        #expect(crawling.accelerator == .tcg)
        #expect(crawling.reason.contains("too slow"))
        let crashed = probe.decide(.neverArrived)
        #expect(crashed.accelerator == .tcg)
        #expect(crashed.reason.contains("did not reach long mode"))
        let refused = probe.decide(.refused("Could not access KVM kernel module: Permission denied"))
        #expect(refused.accelerator == .tcg)
        #expect(refused.reason.contains("Permission denied"))
        let crashedQEMU = probe.decide(.refused("kvm_buf_set_msrs: Assertion failed.\nAborted"))
        #expect(crashedQEMU.reason.contains("probe guest") && crashedQEMU.reason.contains("Assertion failed. | Aborted"))
        #expect(!crashedQEMU.reason.contains("\n"), "the reason is logged as one line")
    }

    @Test("the probe guest is real code: under TCG it reaches long mode and finishes its count")
    func guestRunsUnderTCG() async throws {
        let observation = await AccelerationProbe(timeout: .seconds(60), countBudget: .seconds(120)).observe(under: .tcg)
        guard case .arrived(_, let counted) = observation else {
            Issue.record("the probe guest did not reach long mode under TCG: \(observation)")
            return
        }
        #expect(counted != nil)
    }

    @Test("a QEMU that cannot start the guest is a refusal, with what was said")
    func refusal() async {
        let observation = await AccelerationProbe(qemu: "/nonexistent/qemu-system-x86_64").observe(under: .tcg)
        guard case .refused(let why) = observation else {
            Issue.record("expected a refusal, got \(observation)")
            return
        }
        #expect(why.contains("/nonexistent/qemu-system-x86_64"))
    }
}
