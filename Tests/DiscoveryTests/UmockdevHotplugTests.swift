import Discovery
import TestSupport
import Testing

/// Hotplug under umockdev: the testbed plugs a Huawei stick (3 ports), an FTDI cable and a SIMCom
/// module (5 ports), unplugs them, replugs the Huawei stick in another USB socket where it gets
/// other tty numbers, unplugs it and the cable, and finally plugs a Quectel module as a sentinel:
/// anything stray would have arrived before the sentinel's event.
extension UmockdevSuites {
    @Suite("Hotplug under umockdev")
    struct HotplugScenario {
        static let huawei = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
        static let simcom = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2"
        static let replugged = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-7"
        static let sentinel = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3"

        func events() async throws -> [EventRecord] {
            try await TestbedRunner.shared.report("hotplug").events
        }

        @Test("exactly one added event per stick and one removed event when it goes, in order")
        func oneEventPerStick() async throws {
            let events = try await events()
            let summary = events.map { "\($0.kind) \($0.id)" }
            #expect(summary == [
                "added \(Self.huawei)", "added \(Self.simcom)",
                "removed \(Self.huawei)", "removed \(Self.simcom)",
                "added \(Self.replugged)", "removed \(Self.replugged)",
                "added \(Self.sentinel)",
            ])
        }

        @Test("an added event carries all the stick's ports, settled into one modem")
        func addedCarriesAllPorts() async throws {
            let events = try await events()
            let added = events.filter { $0.kind == "added" }
            #expect(added.map(\.devnodes.count) == [3, 5, 3, 4])
            #expect(added.first?.devnodes == ["/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2"])
        }

        @Test("a removed event names every port of the modem, so in-flight work on any of them can be requeued")
        func removedNamesThePorts() async throws {
            let events = try await events()
            let removed = try #require(events.first { $0.kind == "removed" && $0.id == Self.simcom })
            #expect(removed.devnodes == (3...7).map { "/dev/ttyUSB\($0)" })
        }

        @Test("the USB-serial cable produces no event, plugged or unplugged")
        func cableIsSilent() async throws {
            let events = try await events()
            #expect(!events.contains { $0.devnodes.contains("/dev/ttyUSB20") })
        }

        @Test("the same stick on other ttyUSBn numbers is recognised by its IMEI")
        func replugKeepsIdentity() async throws {
            let events = try await events()
            let added = events.filter { $0.kind == "added" }
            let first = try #require(added.first { $0.id == Self.huawei })
            let again = try #require(added.first { $0.id == Self.replugged })
            #expect(first.devnodes != again.devnodes)
            #expect(first.atPort == "/dev/ttyUSB2")
            #expect(again.atPort == "/dev/ttyUSB32")
            #expect(first.stableKey == "imei:861234567890123")
            #expect(again.stableKey == first.stableKey)
        }
    }
}
