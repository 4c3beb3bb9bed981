import Foundation
import Testing
@testable import SMSCodec

/// Every truncation and every single-byte corruption of a set of valid PDUs decodes to a
/// `CodecError` or to a valid message — never a trap (a trap would end this test process).
@Suite("Malformed input")
struct MalformedInputTests {
    /// The published vectors plus PDUs exercising what they lack: alphanumeric sender, UCS-2 with
    /// emoji across parts, 16-bit concatenation, national shift tables, status report with TP-PI.
    static func corpus() throws -> [[UInt8]] {
        var hexes = try Fixtures.validPDUs()
        let t = instant(2026, 11, 29, 10, 0, 0)
        hexes += try SMSDeliverEncoder.encode(from: "MaBoutique", text: "Promo -20% ce week-end [code: NOEL]", timestamp: t, timeZoneOffsetMinutes: 60)
        hexes += try SMSDeliverEncoder.encode(
            from: "+33612345678", text: "Réponse 👍🏽 " + String(repeating: "🎉", count: 40), timestamp: t,
            timeZoneOffsetMinutes: -150, smsc: "+33609001390", concatReference: 7)
        hexes += try SMSSubmitEncoder.encode(
            to: "0612345678", text: String(repeating: "Stop € ", count: 30),
            options: SubmitOptions(requestStatusReport: true, validity: .relative(minutes: 1440), messageClass: .flash)).map(\.hex)
        // 16-bit concatenation (IEI 08) and Turkish locking + single shift (IEI 25, 24): UDHL 0C.
        hexes.append("00" + "44" + "0B913316325476F8" + "0000" + "62119290000000" + "15"
            + Hex.encode([0x0C, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x25, 0x01, 0x01, 0x24, 0x01, 0x01] + Septets.pack([0x07, 0x40, 0x1B, 0x53, 0x60, 0x04], fillBits: 1)))
        hexes.append(try StatusReportEncoder.encode(
            reference: 9, recipient: "+33612345678", submitted: t, discharged: t, status: 0x46) + "07" + "00" + "00" + "02" + "C834")
        return try hexes.map { try Hex.decode($0) }
    }

    static func decodeOrTypedError(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try PDUDecoder.decode(bytes: bytes)
            return true
        } catch is CodecError {
            return true
        } catch {
            return false
        }
    }

    @Test("the extra corpus PDUs are valid")
    func corpusIsValid() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 19)
        for bytes in corpus { _ = try PDUDecoder.decode(bytes: bytes) }
        let national = try #require(try PDUDecoder.decode(bytes: corpus[corpus.count - 2]).deliver)
        #expect(national.text == "ıİŞç€")
        #expect(national.concatenation == ConcatenationInfo(reference: 0x1234, total: 2, sequence: 1, sixteenBitReference: true))
        let report = try #require(try PDUDecoder.decode(bytes: corpus[corpus.count - 1]).statusReport)
        #expect(report.text == "Hi")
        #expect(report.status == 0x46)
    }

    @Test("every truncation")
    func everyTruncation() throws {
        var decoded = 0, refused = 0
        for bytes in try Self.corpus() {
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                #expect(Self.decodeOrTypedError(prefix))
                if (try? PDUDecoder.decode(bytes: prefix)) != nil { decoded += 1 } else { refused += 1 }
            }
        }
        #expect(refused > 0)
    }

    @Test("every single-byte corruption, all 256 values")
    func everyCorruption() async throws {
        var outcomes = (decoded: 0, refused: 0)
        for bytes in try Self.corpus() {
            var corrupted = bytes
            for index in bytes.indices {
                for value in 0...255 where UInt8(value) != bytes[index] {
                    corrupted[index] = UInt8(value)
                    do {
                        _ = try PDUDecoder.decode(bytes: corrupted)
                        outcomes.decoded += 1
                    } catch is CodecError {
                        outcomes.refused += 1
                    } catch {
                        Issue.record("untyped error \(error) for byte \(index) = \(value)")
                    }
                }
                corrupted[index] = bytes[index]
                // Seconds of work: let the other tests' tasks run on the few cooperative threads.
                await Task.yield()
            }
        }
        #expect(outcomes.decoded > 0)
        #expect(outcomes.refused > 0)
    }

    @Test("errors print as one line naming the field")
    func errorDescriptions() {
        #expect(throws: CodecError.truncated(field: "TP-SCTS", offset: 18)) {
            _ = try PDUDecoder.decode(hex: "06917228195339040B917228214365F700003130")
        }
        let message = CodecError.truncated(field: "TP-SCTS", offset: 18).description
        #expect(message == "PDU truncated in TP-SCTS at octet 18")
        #expect(!message.contains("\n"))
    }
}
