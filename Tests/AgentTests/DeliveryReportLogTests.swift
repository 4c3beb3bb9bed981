import Foundation
import Testing
@testable import Agent

@Suite struct DeliveryReportLogTests {
    @Test("per message and part, the latest report says delivered, still trying or given up (TP-ST)")
    func outcomes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deliveries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = DeliveryReportLog(path: dir.appendingPathComponent(DeliveryReportLog.fileName).path)
        func report(_ id: String?, part: Int?, status: UInt8, at seconds: TimeInterval) throws {
            try log.append(DeliveryReportLog.Entry(
                receivedAt: Date(timeIntervalSince1970: 1_790_000_000 + seconds), messageID: id, part: part, modem: "a",
                reference: 7, recipient: "+33612345678", status: status, meaning: "", delivered: status < 0x20,
                dischargedAt: Date(timeIntervalSince1970: 1_790_000_000 + seconds)))
        }
        try report("m1", part: 1, status: 0x00, at: 0)
        try report("m1", part: 2, status: 0x20, at: 1)   // congestion: the SMSC still tries …
        try report("m1", part: 2, status: 0x00, at: 2)   // … and then delivers
        try report("m2", part: 1, status: 0x41, at: 3)   // incompatible destination: given up
        try report("m3", part: 1, status: 0x21, at: 4)
        try report(nil, part: nil, status: 0x00, at: 5)  // matched no sent message: kept, but names none
        let outcomes = try log.outcomes()
        #expect(outcomes["m1"] == [1: .delivered, 2: .delivered])
        #expect(outcomes["m2"] == [1: .failed])
        #expect(outcomes["m3"] == [1: .pending])
        #expect(outcomes.count == 3)
    }
}
