import Foundation
import Testing
@testable import SMSCodec

@Suite("Reassembly of concatenated SMS (TS 23.040 §9.2.3.24.1)")
struct ReassemblerTests {
    static let t0 = instant(2026, 11, 29, 10, 0, 0)
    static let longText = String(repeating: "Bonjour, ceci est un long message. ", count: 14)  // 490 chars, 4 parts

    static func parts(_ text: String = longText, from: String = "+33612345678", reference: UInt8 = 42) throws -> [SMSDeliver] {
        try SMSDeliverEncoder.encode(from: from, text: text, timestamp: t0, concatReference: reference)
            .map { try #require(try PDUDecoder.decode(hex: $0).deliver) }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var out = [[T]]()
        for (i, item) in items.enumerated() {
            var rest = items
            rest.remove(at: i)
            for p in permutations(rest) { out.append([item] + p) }
        }
        return out
    }

    @Test("every order of four parts gives the same message as in-order")
    func everyOrder() throws {
        let parts = try Self.parts()
        #expect(parts.count == 4)
        var inOrder = Reassembler(timeout: .seconds(60))
        var reference: InboundMessage?
        for p in parts { if case .complete(let m) = inOrder.add(p, receivedAt: Self.t0) { reference = m } }
        let expected = try #require(reference)
        #expect(expected.text == Self.longText)
        for order in Self.permutations(parts) {
            var r = Reassembler(timeout: .seconds(60))
            var results = [ReassemblyOutcome]()
            for p in order { results.append(r.add(p, receivedAt: Self.t0)) }
            #expect(results.last == .complete(expected))
            #expect(results.dropLast().allSatisfy { if case .pending = $0 { true } else { false } })
        }
    }

    @Test("pending reports the missing parts")
    func missing() throws {
        let parts = try Self.parts()
        var r = Reassembler(timeout: .seconds(60))
        #expect(r.add(parts[2], receivedAt: Self.t0) == .pending(missing: [1, 2, 4]))
        #expect(r.add(parts[0], receivedAt: Self.t0) == .pending(missing: [2, 4]))
    }

    @Test("a part received twice is a duplicate, before and after completion")
    func duplicates() throws {
        let parts = try Self.parts()
        var r = Reassembler(timeout: .seconds(60))
        _ = r.add(parts[0], receivedAt: Self.t0)
        #expect(r.add(parts[0], receivedAt: Self.t0) == .duplicate)
        for p in parts.dropFirst() { _ = r.add(p, receivedAt: Self.t0) }
        #expect(r.pendingCount == 0)
        #expect(r.add(parts[1], receivedAt: Self.t0) == .duplicate)
        #expect(r.pendingCount == 0)
    }

    @Test("a reused reference with new content after completion is a new message")
    func reusedReference() throws {
        var r = Reassembler(timeout: .seconds(60))
        for p in try Self.parts() { _ = r.add(p, receivedAt: Self.t0) }
        let other = try Self.parts(String(repeating: "Autre message. ", count: 30))
        #expect(r.add(other[0], receivedAt: Self.t0) == .pending(missing: [2, 3]))
    }

    @Test("groups are kept apart by originator and reference")
    func grouping() throws {
        let a = try Self.parts(reference: 1)
        let b = try Self.parts(reference: 2)
        let c = try Self.parts(from: "+33700000000", reference: 1)
        var r = Reassembler(timeout: .seconds(60))
        for (x, y, z) in zip(zip(a, b), c).map({ ($0.0, $0.1, $1) }).dropLast() {
            _ = r.add(x, receivedAt: Self.t0)
            _ = r.add(y, receivedAt: Self.t0)
            _ = r.add(z, receivedAt: Self.t0)
        }
        #expect(r.pendingCount == 3)
        guard case .complete(let m) = r.add(c[3], receivedAt: Self.t0) else {
            Issue.record("not complete")
            return
        }
        #expect(m.originator == "+33700000000")
        #expect(r.pendingCount == 2)
    }

    @Test("a single SMS is complete at once")
    func single() throws {
        let parts = try Self.parts("STOP")
        var r = Reassembler(timeout: .seconds(60))
        guard case .complete(let m) = r.add(parts[0], receivedAt: Self.t0) else {
            Issue.record("not complete")
            return
        }
        #expect(m.text == "STOP")
        #expect(m.reference == nil)
    }

    @Test("expiry returns incomplete groups after the timeout, not before")
    func expiry() throws {
        let parts = try Self.parts()
        var r = Reassembler(timeout: .seconds(600))
        _ = r.add(parts[0], receivedAt: Self.t0)
        _ = r.add(parts[3], receivedAt: Self.t0.addingTimeInterval(100))
        #expect(r.expire(now: Self.t0.addingTimeInterval(599)).isEmpty)
        let expired = r.expire(now: Self.t0.addingTimeInterval(600))
        #expect(expired.count == 1)
        #expect(expired.first?.missing == [2, 3])
        #expect(expired.first?.parts.count == 2)
        #expect(expired.first?.partialText.hasPrefix(parts[0].text + "[…][…]") == true)
        #expect(r.pendingCount == 0)
    }

    @Test("state survives JSON mid-way (the records layer persists it)")
    func codable() throws {
        let parts = try Self.parts()
        var r = Reassembler(timeout: .seconds(600))
        _ = r.add(parts[1], receivedAt: Self.t0)
        _ = r.add(parts[3], receivedAt: Self.t0)
        var restored = try JSONDecoder().decode(Reassembler.self, from: JSONEncoder().encode(r))
        #expect(restored == r)
        _ = restored.add(parts[0], receivedAt: Self.t0)
        guard case .complete(let m) = restored.add(parts[2], receivedAt: Self.t0) else {
            Issue.record("not complete")
            return
        }
        #expect(m.text == Self.longText)
    }

    @Test("a surrogate pair split across UCS-2 parts by another sender is restored")
    func splitSurrogate() throws {
        // Two UCS-2 parts built by hand: "a" + high surrogate | low surrogate + "b".
        let header = { (seq: UInt8) in [0x05, 0x00, 0x03, 0x09, 0x02, seq] as [UInt8] }
        let p1 = header(1) + [0x00, 0x61, 0xD8, 0x3D]
        let p2 = header(2) + [0xDE, 0x00, 0x00, 0x62]
        let prefix = "00" + "44" + "0B913316325476F8" + "0008" + "62119201000000"
        var r = Reassembler(timeout: .seconds(60))
        var last: ReassemblyOutcome?
        for ud in [p2, p1] {
            let d = try #require(try PDUDecoder.decode(hex: prefix + Hex.encode([UInt8(ud.count)] + ud)).deliver)
            last = r.add(d, receivedAt: Self.t0)
        }
        guard case .complete(let m)? = last else {
            Issue.record("not complete")
            return
        }
        #expect(m.text == "a😀b")
    }
}
