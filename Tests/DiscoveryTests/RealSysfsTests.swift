import Discovery
import Testing

/// Enumeration on this machine's real /sys (this test process is not under umockdev).
@Suite("Discovery on the real sysfs")
struct RealSysfsTests {
    @Test("a machine with no modem: no modem, no error")
    func noModemNoError() throws {
        let snapshot = try ModemDiscovery().snapshot()
        #expect(snapshot.modems.isEmpty)
    }

    @Test("`smsagent discover` says plainly that no modem was found")
    func tableSaysNoModem() {
        #expect(DiscoveryTable.render(DiscoverySnapshot(modems: [], ignored: [])) == "No USB modem found.\n")
    }
}
