import NimbusCore
import Testing

@Suite("IPv4 addresses and subnets")
struct IPv4Tests {
    @Test("dotted quads parse strictly")
    func addresses() {
        #expect(IPv4Address("10.0.0.1")?.value == 0x0A00_0001)
        #expect(IPv4Address("255.255.255.255")?.value == UInt32.max)
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.01", "a.b.c.d", "10..0.1", " 10.0.0.1", "10.0.0.1.", "+1.0.0.1", "１.0.0.1"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address("192.168.5.7")?.description == "192.168.5.7")
    }

    @Test("CIDRs: host bits, ranges, overlap")
    func subnets() throws {
        let subnet = try #require(IPv4Subnet("192.168.5.0/24"))
        #expect(subnet.broadcast.description == "192.168.5.255")
        #expect(subnet.hosts.map { "\($0.lowerBound)-\($0.upperBound)" } == "192.168.5.1-192.168.5.254")
        #expect(IPv4Subnet("192.168.5.7/24") == nil)
        #expect(IPv4Subnet("192.168.5.7/24", strict: false)?.description == "192.168.5.0/24")
        for bad in ["192.168.5.0", "192.168.5.0/33", "192.168.5.0/", "192.168.5.0/024", "x/24", "192.168.5.0/24/1"] {
            #expect(IPv4Subnet(bad) == nil, "\(bad)")
        }
        #expect(subnet.overlaps(try #require(IPv4Subnet("192.168.0.0/16"))))
        #expect(!subnet.overlaps(try #require(IPv4Subnet("192.168.6.0/24"))))
        #expect(IPv4Subnet("10.0.0.0/31")?.hosts == nil)
    }
}
