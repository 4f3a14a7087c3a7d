import NimbusCore
import Synchronization

/// Runs each server's lifecycle work (spawn, actions, snapshot, delete) one
/// piece at a time, in the order it was asked for, while different servers
/// proceed in parallel. A delete therefore waits for a spawn still under way
/// instead of racing it and leaving a QEMU behind.
///
/// Enqueuing is synchronous, so the order of requests is the order of work.
final class ServerOperations: Sendable {
    private struct Queue {
        var tails: [ServerID: (sequence: UInt64, task: Task<Void, Never>)] = [:]
        var sequence: UInt64 = 0
        /// Once closed (at shutdown), new work is refused.
        var closed = false
    }

    private let queue = Mutex(Queue())

    @discardableResult
    func enqueue(_ id: ServerID, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        queue.withLock { queue in
            guard !queue.closed else { return Task {} }
            queue.sequence += 1
            let sequence = queue.sequence
            let previous = queue.tails[id]?.task
            let task = Task {
                await previous?.value
                await work()
                self.finished(id, sequence)
            }
            queue.tails[id] = (sequence, task)
            return task
        }
    }

    /// Runs `work` in the server's turn and hands back what it returns or throws.
    func run<T: Sendable>(_ id: ServerID, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        await enqueue(id) {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
        }.value
        guard let result = outcome.withLock({ $0 }) else { throw CancellationError() }
        return try result.get()
    }

    /// Whether new work is refused (shutdown has begun).
    var isClosed: Bool { queue.withLock { $0.closed } }

    /// The servers with work queued or under way.
    var busy: Set<ServerID> {
        queue.withLock { Set($0.tails.keys) }
    }

    /// Waits until no work is queued or under way.
    func idle() async {
        while let tail = queue.withLock({ $0.tails.values.first?.task }) {
            await tail.value
        }
    }

    /// Refuses new work and waits up to `timeout` for what is under way;
    /// returns the servers whose work did not finish in time.
    func drain(timeout: Duration) async -> Set<ServerID> {
        queue.withLock { $0.closed = true }
        let deadline = ContinuousClock.now + timeout
        while !busy.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return busy
    }

    /// Forgets a server's queue once its last piece of work is done.
    private func finished(_ id: ServerID, _ sequence: UInt64) {
        queue.withLock { queue in
            if queue.tails[id]?.sequence == sequence { queue.tails[id] = nil }
        }
    }
}
