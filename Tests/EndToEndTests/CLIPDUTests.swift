import Foundation
import Testing

/// `smsagent pdu encode|decode|plan` run as a process (readme-codec.md).
@Suite(.timeLimit(.minutes(1)))
struct CLIPDUTests {
    // MARK: encode

    /// The classic published SMS-SUBMIT vector ("hellohello" to +46708251358, dreamfabric's PDU
    /// tutorial): SMSC field 00, first octet 01, TP-MR 00, 11-digit international address, PID 00,
    /// DCS 00, UDL 10, packed septets; AT+CMGS length 22 (the SMSC octet is not counted).
    @Test func encodeGivesTheHexAndTheCMGSLengthOfAPublishedVector() async throws {
        let result = try await CLI.run(["pdu", "encode", "--to", "+46708251358", "--text", "hellohello"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["0001000B916407281553F800000AE8329BFD4697D9EC37 22"], "\(result)")
        #expect(result.stderr.isEmpty)
    }

    /// readme-codec.md's own example, with --report.
    @Test func encodeTheReadmeExample() async throws {
        let result = try await CLI.run(["pdu", "encode", "--to", "+33612345678", "--text", "Votre code : 4521", "--report"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["0021000B913316325476F8000011D6375D5E068DDFE4324807A2D56431 28"], "\(result)")
    }

    /// --report sets TP-SRR (bit 5 of the first TPDU octet, TS 23.040 §9.2.3.5) and changes nothing else.
    @Test func reportSetsTheStatusReportRequestBitOnly() async throws {
        let arguments = ["pdu", "encode", "--to", "+33612345678", "--text", "Votre colis arrive demain"]
        let plain = try await CLI.run(arguments)
        let report = try await CLI.run(arguments + ["--report"])
        #expect(plain.status == 0 && report.status == 0, "\(plain)\n\(report)")
        let a = try #require(EncodedPart(line: plain.stdoutLines.first))
        let b = try #require(EncodedPart(line: report.stdoutLines.first))
        #expect(a.firstOctet & 0x20 == 0)
        #expect(b.firstOctet & 0x20 == 0x20)
        #expect(a.firstOctet | 0x20 == b.firstOctet)
        #expect(a.tpduHex.dropFirst(2) == b.tpduHex.dropFirst(2))
        #expect(a.cmgsLength == b.cmgsLength)
    }

    /// --smsc writes the SC address (TS 24.008 §10.5.4.9 BCD, type 91) in front; the AT+CMGS
    /// length, which counts the TPDU only, does not change.
    @Test func smscIsWrittenFirstAndNotCountedInTheCMGSLength() async throws {
        let arguments = ["pdu", "encode", "--to", "+46708251358", "--text", "hellohello"]
        let withSMSC = try await CLI.run(arguments + ["--smsc", "+33609001390"])
        #expect(withSMSC.status == 0, "\(withSMSC)")
        #expect(withSMSC.stdoutLines == ["07913306091093F001000B916407281553F800000AE8329BFD4697D9EC37 22"], "\(withSMSC)")
        let part = try #require(EncodedPart(line: withSMSC.stdoutLines.first))
        #expect(part.smscHex == "07913306091093F0")
        #expect(part.tpduHex.count / 2 == part.cmgsLength)
    }

    struct Segmentation: Sendable, CustomStringConvertible {
        let text: String
        let parts: Int
        var description: String { "\(text.count) × \(text.first.map(String.init) ?? "")" }
    }

    /// GSM 7-bit: 160 in one part, 153 per part once split; UCS-2: 70, then 67 (TS 23.040 §9.2.3.24.1).
    @Test(arguments: [
        Segmentation(text: String(repeating: "a", count: 160), parts: 1),
        Segmentation(text: String(repeating: "a", count: 161), parts: 2),
        Segmentation(text: String(repeating: "a", count: 306), parts: 2),
        Segmentation(text: String(repeating: "a", count: 307), parts: 3),
        Segmentation(text: String(repeating: "ж", count: 70), parts: 1),
        Segmentation(text: String(repeating: "ж", count: 71), parts: 2),
        Segmentation(text: String(repeating: "ж", count: 135), parts: 3),
    ])
    func encodePrintsOneLinePerPartWithItsOwnLength(_ c: Segmentation) async throws {
        let result = try await CLI.run(["pdu", "encode", "--to", "+33612345678", "--text", c.text, "--reference", "42"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines.count == c.parts, "\(result)")
        for line in result.stdoutLines {
            let part = try #require(EncodedPart(line: line), "\(line)")
            #expect(part.smscHex == "00")
            #expect(part.tpduHex.count / 2 == part.cmgsLength, "\(line)")
            #expect(part.cmgsLength <= 164)
        }
    }

    /// Each part of a long message decodes (through `pdu decode`) to its place in the
    /// concatenation, with the same reference, and the parts give the text back.
    @Test func thePartsOfALongMessageDecodeBackToTheText() async throws {
        let text = "Bonjour ! Votre rendez-vous est confirmé pour demain à 14 h 30. " + String(repeating: "Merci de votre confiance. ", count: 6)
        let encoded = try await CLI.run(["pdu", "encode", "--to", "+33612345678", "--text", text, "--reference", "200"])
        #expect(encoded.status == 0, "\(encoded)")
        #expect(encoded.stdoutLines.count == 2, "\(encoded)")
        var texts: [String] = []
        for (index, line) in encoded.stdoutLines.enumerated() {
            let part = try #require(EncodedPart(line: line))
            let decoded = try await CLI.run(["pdu", "decode", part.hex])
            #expect(decoded.status == 0, "\(decoded)")
            let json = try #require(decoded.json as? [String: Any], "\(decoded)")
            #expect(json["type"] as? String == "SMS-SUBMIT")
            #expect(json["destination"] as? String == "+33612345678")
            let concatenation = try #require(json["concatenation"] as? [String: Any], "\(decoded)")
            #expect(concatenation["reference"] as? Int == 200)
            #expect(concatenation["total"] as? Int == 2)
            #expect(concatenation["sequence"] as? Int == index + 1)
            texts.append(json["text"] as? String ?? "")
        }
        #expect(texts.joined() == text)
    }

    @Test func anInvalidRecipientExitsOneWithOneLineOnStderr() async throws {
        let result = try await CLI.run(["pdu", "encode", "--to", "06-12-ab", "--text", "x"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.hasPrefix("error: invalid address \"06-12-ab\""), "\(result)")
    }

    // MARK: decode

    /// The published SMS-DELIVER vector of readme-codec.md (dreamfabric): SC +27381000015,
    /// originator 27838890001 (TON subscriber), SCTS 99-03-29 15:16:59 +8 quarters.
    @Test func decodePrintsTheFieldsOfAPublishedDeliverVector() async throws {
        let result = try await CLI.run(["pdu", "decode", "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(result.json as? [String: Any], "\(result)")
        #expect(json["type"] as? String == "SMS-DELIVER")
        #expect(json["smsc"] as? String == "+27381000015")
        #expect(json["originator"] as? String == "27838890001")
        #expect(json["timestamp"] as? String == "1999-03-29T15:16:59+02:00")
        #expect(json["time_zone_offset_minutes"] as? Int == 120)
        #expect(json["text"] as? String == "hellohello")
        #expect(json["encoding"] as? String == "gsm7")
        #expect(json["concatenation"] is NSNull)
    }

    @Test(arguments: [
        "ZZ12",                                     // not hex
        "0791",                                     // SMSC field cut short
        "",                                         // nothing
        "07917283010010F5040BC872388809",           // DELIVER cut inside the originator
        "07917283010010F5040BC87238880900F10000993092516195800AE8329B",   // user data shorter than UDL
    ])
    func garbageExitsNonZeroWithOneLineOnStderr(_ hex: String) async throws {
        let result = try await CLI.run(["pdu", "decode", hex])
        #expect(result.status != 0, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.hasPrefix("error: "), "\(result)")
    }

    // MARK: plan

    @Test func planShowsTheReadmeExample() async throws {
        let result = try await CLI.run(["pdu", "plan", "--text", "Merci 🎉 à bientôt"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == [
            "encoding: ucs2",
            "segments: 1",
            "characters per part: 17",
            "UTF-16 units per part: 18 (of 70)",
            "forced UCS-2 by: 🎉 ô",
        ], "\(result)")
    }

    struct PlanCase: Sendable, CustomStringConvertible {
        let text: String
        let encoding: String
        let segments: Int
        let forcedBy: [String]
        var description: String { text.count > 30 ? "\(text.prefix(12))… (\(text.count))" : text }
    }

    @Test(arguments: [
        PlanCase(text: "Votre colis arrive demain", encoding: "gsm7", segments: 1, forcedBy: []),
        PlanCase(text: String(repeating: "x", count: 161), encoding: "gsm7", segments: 2, forcedBy: []),
        PlanCase(text: "Garçon", encoding: "ucs2", segments: 1, forcedBy: ["ç"]),     // ç counts as non-GSM
        PlanCase(text: "C’est «super»", encoding: "ucs2", segments: 1, forcedBy: ["’", "«", "»"]),
        PlanCase(text: String(repeating: "ж", count: 71), encoding: "ucs2", segments: 2, forcedBy: ["ж"]),
    ])
    func planNamesTheEncodingTheSegmentsAndWhatForcedUCS2(_ c: PlanCase) async throws {
        let result = try await CLI.run(["pdu", "plan", "--text", c.text, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(result.json as? [String: Any], "\(result)")
        #expect(json["encoding"] as? String == c.encoding)
        #expect(json["segment_count"] as? Int == c.segments)
        #expect((json["non_gsm_characters"] as? [String] ?? ["?"]) == c.forcedBy, "\(result)")
        let text = try await CLI.run(["pdu", "plan", "--text", c.text])
        #expect(text.stdoutLines.contains("encoding: \(c.encoding)"), "\(text)")
        #expect(text.stdoutLines.contains("segments: \(c.segments)"), "\(text)")
        if c.forcedBy.isEmpty {
            #expect(!text.stdout.contains("forced UCS-2"), "\(text)")
        } else {
            #expect(text.stdoutLines.contains("forced UCS-2 by: " + c.forcedBy.joined(separator: " ")), "\(text)")
        }
    }

    @Test func extensionCharactersCountTwoSeptets() async throws {
        let result = try await CLI.run(["pdu", "plan", "--text", "Prix: 5€ [promo]"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines.contains("septets per part: 19 (of 160)"), "\(result)")
        #expect(result.stdoutLines.contains("2 septets each: € [ ]"), "\(result)")
    }

    @Test func smartReplacesTypographicCharactersAndListsEachReplacement() async throws {
        let result = try await CLI.run(["pdu", "plan", "--smart", "--text", "C’est «super»…"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines.contains("encoding: gsm7"), "\(result)")
        for replaced in ["’ → ' ×1", "« → \" ×1", "» → \" ×1", "… → ... ×1"] {
            #expect(result.stdoutLines.contains("replaced: \(replaced)"), "\(result)")
        }
        let json = try await CLI.run(["pdu", "plan", "--smart", "--json", "--text", "C’est «super»…"])
        let plan = try #require(json.json as? [String: Any], "\(json)")
        #expect(plan["text"] as? String == "C'est \"super\"...")
        #expect(plan["encoding"] as? String == "gsm7")
    }

    /// `ô`→`o` only when that avoids UCS-2: with an emoji in the text it stays.
    @Test func smartReplacesAccentsOnlyWhenThatAvoidsUCS2() async throws {
        let avoidable = try await CLI.run(["pdu", "plan", "--smart", "--text", "Merci, à bientôt"])
        #expect(avoidable.stdoutLines.contains("encoding: gsm7"), "\(avoidable)")
        #expect(avoidable.stdoutLines.contains("replaced: ô → o ×1"), "\(avoidable)")

        let unavoidable = try await CLI.run(["pdu", "plan", "--smart", "--text", "Merci 🎉 à bientôt"])
        #expect(unavoidable.stdoutLines.contains("encoding: ucs2"), "\(unavoidable)")
        #expect(!unavoidable.stdout.contains("replaced:"), "\(unavoidable)")
        #expect(unavoidable.stdoutLines.contains("smart encoding: nothing replaced (UCS-2 is unavoidable)"), "\(unavoidable)")
    }
}

/// One line of `pdu encode`: `<hex> <length>`, the hex split into SMSC field and TPDU.
struct EncodedPart {
    let hex: String
    let cmgsLength: Int
    let smscHex: String
    let tpduHex: String
    let firstOctet: UInt8

    init?(line: String?) {
        guard let fields = line?.split(separator: " "), fields.count == 2, let length = Int(fields[1]) else { return nil }
        let hex = String(fields[0])
        guard hex.count % 2 == 0, hex.count >= 4, hex.allSatisfy(\.isHexDigit),
              let smscLength = Int(hex.prefix(2), radix: 16), hex.count >= (smscLength + 2) * 2 else { return nil }
        self.hex = hex
        cmgsLength = length
        smscHex = String(hex.prefix((smscLength + 1) * 2))
        tpduHex = String(hex.dropFirst((smscLength + 1) * 2))
        guard let first = UInt8(tpduHex.prefix(2), radix: 16) else { return nil }
        firstOctet = first
    }
}
