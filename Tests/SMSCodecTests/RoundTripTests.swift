import Foundation
import Testing
@testable import SMSCodec
import TestSupport

/// Random texts through the whole chain: plan → encode → decode → reassemble.
@Suite("Round trip over random texts")
struct RoundTripTests {
    static let gsmBasic: [Character] = Array(
        "@£$¥èéùìòØø\nÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\r")
    static let gsmExtension: [Character] = ["€", "[", "]", "{", "}", "^", "~", "|", "\\", "\u{0C}"]
    static let latinAccents: [Character] = Array("âêîôûëïÿçœÇŒáíóúãõÁÍÓÚÂÊÎÔÛ’«»…–—")
    static let emoji: [Character] = ["😀", "👍", "👍🏽", "🇫🇷", "👨‍👩‍👧", "❤️", "🎉", "𝄞", "中", "日", "Ж"]

    /// Characters smart encoding turns into GSM ones.
    static let smartReplaceable: [Character] = Array("âêîôûëïÿçœÂÊÎÔÛËÏŸÇŒ’‘«»“”…–—\u{00A0}\u{202F}")

    enum Pool: String, CaseIterable, Sendable { case gsm, gsmWithExtension, accents, emoji, mixed, smartReplaceable }

    static func randomText(_ pool: Pool, length: Int, using rng: inout SeededGenerator) -> String {
        var out = ""
        for _ in 0..<length {
            let source: [Character]
            switch pool {
            case .gsm: source = gsmBasic
            case .gsmWithExtension: source = Int.random(in: 0..<5, using: &rng) == 0 ? gsmExtension : gsmBasic
            case .accents: source = Int.random(in: 0..<4, using: &rng) == 0 ? latinAccents : gsmBasic
            case .emoji: source = Int.random(in: 0..<3, using: &rng) == 0 ? emoji : gsmBasic
            case .mixed: source = [gsmBasic, gsmExtension, latinAccents, emoji][Int.random(in: 0..<4, using: &rng)]
            case .smartReplaceable: source = Int.random(in: 0..<4, using: &rng) == 0 ? smartReplaceable : gsmBasic
            }
            out.append(source[Int.random(in: 0..<source.count, using: &rng)])
        }
        return out
    }

    static func texts(_ pool: Pool, count: Int, seed: UInt64) -> [String] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in randomText(pool, length: Int.random(in: 0...480, using: &rng), using: &rng) }
    }

    @Test(arguments: Pool.allCases.filter { $0 != .smartReplaceable })
    func submitRoundTrip(pool: Pool) throws {
        for (i, text) in Self.texts(pool, count: 60, seed: 0x5EED_0000 + UInt64(pool.rawValue.count)).enumerated() {
            let plan = SegmentPlanner.plan(text)
            let pdus = try SMSSubmitEncoder.encode(
                to: "+33612345678", plan: plan, options: SubmitOptions(concatReference: UInt8(i % 256)))
            #expect(pdus.count == plan.segmentCount)
            var decoded = [String]()
            for (index, pdu) in pdus.enumerated() {
                let submit = try #require(try PDUDecoder.decode(hex: pdu.hex).submit)
                #expect(submit.destination == "+33612345678")
                #expect(submit.encoding == plan.encoding)
                if pdus.count > 1 {
                    #expect(submit.concatenation == ConcatenationInfo(reference: i % 256, total: pdus.count, sequence: index + 1))
                }
                #expect(pdu.tpduLength * 2 + 2 == pdu.hex.count)
                decoded.append(submit.text)
            }
            #expect(decoded.joined() == text, "text #\(i) of pool \(pool)")
        }
    }

    @Test(arguments: Pool.allCases.filter { $0 != .smartReplaceable })
    func deliverReassemblyRoundTrip(pool: Pool) throws {
        var rng = SeededGenerator(seed: 0xD311_7E12 + UInt64(pool.rawValue.count))
        let received = instant(2026, 11, 29, 10, 0, 0)
        for (i, text) in Self.texts(pool, count: 60, seed: 0xDE11_7E12 + UInt64(pool.rawValue.count)).enumerated() {
            let plan = SegmentPlanner.plan(text)
            let hexes = try SMSDeliverEncoder.encode(
                from: i % 2 == 0 ? "+33612345678" : "MaBoutique", plan: plan, timestamp: received,
                timeZoneOffsetMinutes: 60, smsc: "+33609001390", concatReference: UInt8(i % 256))
            #expect(hexes.count == plan.segmentCount)
            var reassembler = Reassembler(timeout: .seconds(3600))
            var outcome: ReassemblyOutcome?
            for hex in hexes.shuffled(using: &rng) {
                let deliver = try #require(try PDUDecoder.decode(hex: hex).deliver)
                outcome = reassembler.add(deliver, receivedAt: received)
            }
            guard case .complete(let message)? = outcome else {
                Issue.record("text #\(i) of pool \(pool) did not complete: \(String(describing: outcome))")
                continue
            }
            #expect(message.text == text, "text #\(i) of pool \(pool)")
            #expect(message.parts.count == plan.segmentCount)
            #expect(message.timestamp == received)
            #expect(message.timeZoneOffsetMinutes == 60)
            #expect(reassembler.pendingCount == 0)
        }
    }

    @Test("smart plans round-trip to their replaced text")
    func smartRoundTrip() throws {
        for text in Self.texts(.smartReplaceable, count: 40, seed: 77) {
            let plan = SegmentPlanner.plan(text, smartEncoding: true)
            #expect(plan.encoding == .gsm7)
            let pdus = try SMSSubmitEncoder.encode(to: "0612345678", text: text, options: SubmitOptions(smartEncoding: true))
            #expect(pdus.count == plan.segmentCount)
            let decoded = try pdus.map { try #require(try PDUDecoder.decode(hex: $0.hex).submit).text }.joined()
            #expect(decoded == plan.text)
        }
    }

    @Test("status report encoder and decoder agree")
    func statusReportRoundTrip() throws {
        for status: UInt8 in [0x00, 0x01, 0x20, 0x46, 0x63] {
            let hex = try StatusReportEncoder.encode(
                reference: 200, recipient: "+33612345678", submitted: instant(2026, 11, 29, 9, 0, 0),
                discharged: instant(2026, 11, 29, 9, 0, 7), status: status, smsc: "+33609001390", timeZoneOffsetMinutes: -300)
            let r = try #require(try PDUDecoder.decode(hex: hex).statusReport)
            #expect(r.messageReference == 200)
            #expect(r.recipient == "+33612345678")
            #expect(r.smsc == "+33609001390")
            #expect(r.serviceCentreTimestamp == instant(2026, 11, 29, 9, 0, 0))
            #expect(r.dischargeTime == instant(2026, 11, 29, 9, 0, 7))
            #expect(r.dischargeTimeZoneOffsetMinutes == -300)
            #expect(r.status == status)
            #expect(r.delivered == (status < 0x20))
        }
    }

    @Test("decoding a hex string whole, lower-case, or with surrounding white space agrees")
    func hexForms() throws {
        for hex in try Fixtures.validPDUs() {
            let whole = try PDUDecoder.decode(hex: hex)
            #expect(try PDUDecoder.decode(hex: hex.lowercased()) == whole)
            #expect(try PDUDecoder.decode(hex: "  \(hex)\r\n") == whole)
            #expect(try PDUDecoder.decode(bytes: Hex.decode(hex)) == whole)
        }
    }
}
