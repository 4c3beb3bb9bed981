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

/// Hotplug on this machine's real udev/netlink (no modem comes; the monitor must start and stop).
@Suite("Hotplug on the real system")
struct RealHotplugTests {
    @Test("the hotplug stream starts without error and ends when its consumer stops")
    func startsAndStops() async throws {
        let stream = try ModemDiscovery().hotplug(settle: .milliseconds(100))
        let consumer = Task {
            var events = 0
            for await _ in stream { events += 1 }
            return events
        }
        consumer.cancel()
        #expect(await consumer.value == 0)
    }
}
