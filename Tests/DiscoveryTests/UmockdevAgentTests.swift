import TestSupport
import Testing

/// The agent as a user runs it, under umockdev: `smsagent run` with discovery and hotplug in a child
/// process, its own libudev monitor, serial port and probing, and the simulator behind the emulated
/// tty. The pool's join/leave logic is also tested with synthetic events (AgentTests); this is the
/// path from a kernel uevent to an SMS on the air.
extension UmockdevSuites {
    @Suite("The agent under umockdev")
    struct AgentUnderUmockdev {
        static let stick = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"

        @Test("no modem at start; a stick plugged in sends what waited, leaves when pulled, rejoins on other ttys")
        func joinsLeavesRejoins() async throws {
            let report = try await TestbedRunner.shared.report("agent-hotplug")
            let summary = report.events.map { "\($0.kind) \($0.id) \($0.devnodes.joined(separator: ","))" }
            #expect(summary == [
                "agent-running  ",
                "sent +33612345601 /dev/ttyUSB2",
                "left \(Self.stick) ",
                "sent +33612345602 /dev/ttyUSB32",
                "agent-exit 0 ",
            ])
            #expect(report.events.last?.detail == "sent=2 failed=0 new=0 sending=0")
        }
    }
}
