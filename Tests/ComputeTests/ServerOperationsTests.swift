import Foundation
import NimbusCore
import Synchronization
import Testing
@testable import Compute

@Suite("Per-server operation queue")
struct ServerOperationsTests {
    final class Journal: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test("one server's work runs one piece at a time in the order it was asked for")
    func ordered() async {
        let operations = ServerOperations()
        let journal = Journal()
        let server = ServerID.generate()
        operations.enqueue(server) {
            journal.add("spawn begins")
            try? await Task.sleep(for: .milliseconds(100))
            journal.add("spawn ends")
        }
        await operations.enqueue(server) { journal.add("delete") }.value
        #expect(journal.all == ["spawn begins", "spawn ends", "delete"])
    }

    @Test("different servers do not wait for each other")
    func parallel() async {
        let operations = ServerOperations()
        let journal = Journal()
        let slow = operations.enqueue(ServerID.generate()) {
            try? await Task.sleep(for: .milliseconds(300))
            journal.add("slow")
        }
        await operations.enqueue(ServerID.generate()) { journal.add("quick") }.value
        await slow.value
        #expect(journal.all == ["quick", "slow"])
    }
}
