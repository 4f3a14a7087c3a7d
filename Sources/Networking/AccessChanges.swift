import Synchronization

/// Tells whoever runs the servers which devices' forwards may have changed:
/// a floating IP associated or released, a port forwarding added or removed,
/// a security group rule or a port's groups changed. The compute service
/// observes it and recomputes those servers' forwards while they run.
public final class AccessChanges: Sendable {
    private let observer = Mutex<(@Sendable (Set<String>) -> Void)?>(nil)

    public init() {}

    /// Sets the one observer; it is called with device ids (server ids), never with an empty set.
    public func observe(_ handler: @escaping @Sendable (Set<String>) -> Void) {
        observer.withLock { $0 = handler }
    }

    func changed(deviceIDs: some Sequence<String>) {
        let devices = Set(deviceIDs.filter { !$0.isEmpty })
        guard !devices.isEmpty, let handler = observer.withLock({ $0 }) else { return }
        handler(devices)
    }
}
