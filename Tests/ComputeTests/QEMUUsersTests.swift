@testable import Compute
import Foundation
import QEMU
import Testing

@Suite("QEMU's own users")
struct QEMUUsersTests {
    @Test("each VM gets the lowest uid no running VM holds, with the group of the same number; uids the host names are skipped")
    func picksFreeUnnamedUIDs() {
        let users = QEMUUsers(firstUID: 5000) { $0 == 5001 }
        #expect(users.pick(taken: []) == VMSpec.HostUser(uid: 5000, gid: 5000))
        #expect(users.pick(taken: [5000]) == VMSpec.HostUser(uid: 5002, gid: 5002))
        #expect(users.pick(taken: [5000, 5002, 5003]) == VMSpec.HostUser(uid: 5004, gid: 5004))
    }

    @Test("a uid a live process holds is not picked, whoever started it")
    func skipsUIDsOfProcesses() {
        let users = QEMUUsers(firstUID: 5000, isNamed: { _ in false }, processUIDs: { [5000, 5001, 0] })
        #expect(users.pick(taken: [5002]) == VMSpec.HostUser(uid: 5003, gid: 5003))
        #expect(QEMUUsers.processUIDs().contains(getuid()), "this test's own process is seen in /proc")
    }

    @Test("a block with every uid taken gives none, and never runs past the largest uid")
    func exhausted() {
        let everything = QEMUUsers(firstUID: 5000) { _ in true }
        #expect(everything.pick(taken: []) == nil)
        let top = QEMUUsers(firstUID: UInt32.max - 2) { _ in false }
        #expect(top.pick(taken: [UInt32.max - 2, UInt32.max - 1]) == nil)
    }

    @Test("the uid of a process is read from /proc")
    func uidOfProcess() {
        #expect(QEMUUsers.uid(of: getpid()) == getuid())
        #expect(QEMUUsers.uid(of: -1) == nil)
    }

}
