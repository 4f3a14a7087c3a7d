import Networking
import Testing
@testable import Compute

@Suite("QEMU user-mode forwards")
struct UserNetForwardsTests {
    /// `info usernet` as QEMU 7.2 prints it, with a connection in progress.
    static let output = """
        Hub -1 (net0):
          Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
          TCP[HOST_FORWARD]  14      127.10.0.5    22       10.0.0.12    22     0     0
          TCP[ESTABLISHED]   21       127.0.0.1 40512       10.0.0.12    22     0     0
          TCP[HOST_FORWARD]  12      127.10.0.5  2222       10.0.0.12    22     0     0
        Hub -1 (net1):
          Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
          UDP[HOST_FORWARD]  13      127.10.0.5  5000       10.1.0.15    53     0     0

        """

    @Test("info usernet gives each netdev's host forwards, not its connections")
    func parse() {
        let forwards = UserNetForwards.parse(Self.output)
        #expect(forwards["net0"] == [
            AccessForward(protocol: .tcp, hostAddress: "127.10.0.5", hostPort: 22, guestAddress: "10.0.0.12", guestPort: 22),
            AccessForward(protocol: .tcp, hostAddress: "127.10.0.5", hostPort: 2222, guestAddress: "10.0.0.12", guestPort: 22),
        ])
        #expect(forwards["net1"] == [
            AccessForward(protocol: .udp, hostAddress: "127.10.0.5", hostPort: 5000, guestAddress: "10.1.0.15", guestPort: 53),
        ])
        #expect(UserNetForwards.parse("").isEmpty)
    }

    @Test("the HMP command lines name the netdev, the host side and the guest side")
    func commands() {
        let forward = AccessForward(protocol: .tcp, hostAddress: "127.10.0.5", hostPort: 2222, guestAddress: "10.0.0.12", guestPort: 22)
        #expect(UserNetForwards.addCommand("net0", forward) == "hostfwd_add net0 tcp:127.10.0.5:2222-10.0.0.12:22")
        #expect(UserNetForwards.removeCommand("net0", forward) == "hostfwd_remove net0 tcp:127.10.0.5:2222")
    }
}
