import QEMU

/// The accelerator guests run under, decided once while the API already
/// serves: probing KVM takes a few seconds on a host where it is broken,
/// and only a launch needs the answer, so only a launch waits for it.
public struct AcceleratorChoice: Sendable {
    private let decision: Task<VMSpec.Accelerator, Never>

    public init(deciding decide: @escaping @Sendable () async -> VMSpec.Accelerator) {
        decision = Task { await decide() }
    }

    public static func fixed(_ accelerator: VMSpec.Accelerator) -> Self { Self { accelerator } }
    public static var tcg: Self { fixed(.tcg) }

    public var accelerator: VMSpec.Accelerator {
        get async { await decision.value }
    }
}
