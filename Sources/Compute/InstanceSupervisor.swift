import Logging
import NimbusCore
import ServiceLifecycle

/// The compute service's background life, as a Service: it turns what
/// guests do (the runtime's events) into lifecycle transitions, each in its
/// server's turn, and at shutdown lets the work under way finish (or says
/// which servers it left; their next start's reconciliation settles them).
/// VMs keep running across a restart of Nimbus.
public struct InstanceSupervisor: Service {
    let compute: ComputeService
    /// How long shutdown waits for work under way (a build, a snapshot's upload).
    let drainTimeout: Duration
    let logger = Logger(label: "nimbus.compute")

    public init(compute: ComputeService, drainTimeout: Duration = .seconds(30)) {
        self.compute = compute
        self.drainTimeout = drainTimeout
    }

    public func run() async throws {
        // The loop ends when shutdown begins (or the runtime's stream ends).
        await cancelWhenGracefulShutdown {
            for await event in compute.runtime.events {
                compute.deliver(event.event, to: event.server, generation: event.generation)
            }
        }
        let unfinished = await compute.operations.drain(timeout: drainTimeout)
        for id in unfinished.sorted(by: { $0.rawValue < $1.rawValue }) {
            logger.warning("work under way was left at shutdown; the next start settles the server", metadata: ["server.id": "\(id)"])
        }
    }
}
