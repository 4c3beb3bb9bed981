import ArgumentParser
import Foundation
import SMSCodec

/// `smsagent pdu encode|decode|plan`: the codec on the command line, for people debugging a modem
/// and for scripts. Invalid input exits 1 with a one-line reason on stderr.
struct PDUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdu",
        abstract: "Encode, decode and plan SMS PDUs (3GPP TS 23.038 / 23.040).",
        subcommands: [Encode.self, Decode.self, Plan.self]
    )

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode SMS-SUBMIT PDUs: one line per part, the hex (SMSC field first) and its AT+CMGS length.",
            discussion: """
                Example:
                  smsagent pdu encode --to +46708251358 --text hellohello
                  0001000B916407281553F800000AE8329BFD4697D9EC37 22
                Send a part with AT+CMGS=<length>, then the hex, then Ctrl-Z.
                """
        )

        @Option(help: "Recipient: +<country><number>, or national digits.")
        var to: String

        @Option(help: "Text of the message.")
        var text: String

        @Flag(help: "Replace typographic characters (’ « » – …) by GSM ones when that avoids UCS-2.")
        var smart = false

        @Flag(help: "Request a status report (TP-SRR).")
        var report = false

        @Option(help: "SMSC number to write in the PDU (default: 00, the SIM's SMSC).")
        var smsc: String?

        @Option(help: "Relative validity period in minutes (default: none, the SMSC's default).")
        var validityMinutes: Int?

        @Flag(help: "Flash SMS (message class 0).")
        var flash = false

        @Option(help: "Concatenation reference for a multi-part message (0-255).")
        var reference: Int = 0

        func run() throws {
            guard (0...255).contains(reference) else { fail("--reference must be 0-255, got \(reference)") }
            let options = SubmitOptions(
                requestStatusReport: report, validity: validityMinutes.map { .relative(minutes: $0) } ?? .none,
                smsc: smsc, messageClass: flash ? .flash : nil, smartEncoding: smart, concatReference: UInt8(reference))
            let pdus: [SubmitPDU]
            do {
                pdus = try SMSSubmitEncoder.encode(to: to, text: text, options: options)
            } catch {
                fail(error)
            }
            for pdu in pdus { print("\(pdu.hex) \(pdu.tpduLength)") }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a PDU as AT+CMGL / AT+CMGR give it (SMSC field first) and print it as JSON.",
            discussion: "SMS-DELIVER, SMS-STATUS-REPORT and SMS-SUBMIT are recognised from TP-MTI."
        )

        @Argument(help: "The PDU in hex.")
        var hex: String

        @Flag(help: "The hex is a bare TPDU without the SMSC field.")
        var noSMSC = false

        func run() throws {
            let decoded: DecodedPDU
            do {
                decoded = try noSMSC
                    ? PDUDecoder.decode(bytes: Hex.decode(hex), includesSMSC: false) : PDUDecoder.decode(hex: hex)
            } catch {
                fail(error)
            }
            print(try PDUJSON.render(decoded))
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how a text will be sent: encoding, segments, characters per part, what costs extra.")

        @Option(help: "Text of the message.")
        var text: String

        @Flag(help: "Apply smart encoding first.")
        var smart = false

        @Flag(help: "Print the plan as JSON.")
        var json = false

        func run() throws {
            let plan = SegmentPlanner.plan(text, smartEncoding: smart)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let object = try JSONSerialization.jsonObject(with: try encoder.encode(plan))
                let data = try JSONSerialization.data(withJSONObject: SnakeCaseKeys.convert(any: object),
                                                      options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let unit = plan.encoding == .gsm7 ? "septets" : "UTF-16 units"
            print("encoding: \(plan.encoding.rawValue)")
            print("segments: \(plan.segmentCount)")
            print("characters per part: \(plan.charactersPerPart.map(String.init).joined(separator: ", "))")
            print("\(unit) per part: \(plan.unitsPerPart.map(String.init).joined(separator: ", ")) (of \(plan.capacityPerPart))")
            if !plan.nonGSMCharacters.isEmpty {
                print("forced UCS-2 by: \(plan.nonGSMCharacters.map(Self.show).joined(separator: " "))")
            }
            if !plan.extensionCharacters.isEmpty {
                print("2 septets each: \(plan.extensionCharacters.map(Self.show).joined(separator: " "))")
            }
            for r in plan.replacements {
                print("replaced: \(Self.show(r.original)) → \(Self.show(r.replacement)) ×\(r.count)")
            }
            if smart, plan.replacements.isEmpty, plan.encoding == .ucs2 {
                print("smart encoding: nothing replaced (UCS-2 is unavoidable)")
            }
        }

        /// Invisible characters shown by code point so the reader sees what costs extra.
        static func show<S: StringProtocol>(_ s: S) -> String {
            s.unicodeScalars.map { scalar -> String in
                switch scalar.properties.generalCategory {
                case .spaceSeparator where scalar != " ", .control, .format, .lineSeparator, .paragraphSeparator:
                    return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
                default:
                    return String(scalar)
                }
            }.joined()
        }

        static func show(_ c: Character) -> String { show(String(c)) }
    }
}

/// Exits 1 with one line on stderr.
private func fail(_ error: any Error) -> Never {
    fail(String(describing: error))
}

private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    Foundation.exit(1)
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// JSON for `pdu decode`: the message type first, dates in ISO 8601 with the SC's offset.
enum PDUJSON {
    static func render(_ pdu: DecodedPDU) throws -> String {
        var object: [String: Any] = [:]
        switch pdu {
        case .deliver(let d):
            object = [
                "type": "SMS-DELIVER", "smsc": opt(d.smsc), "originator": d.originator,
                "originatorType": hex(d.originatorTypeOfAddress),
                "timestamp": iso(d.timestamp, offset: d.timeZoneOffsetMinutes),
                "timeZoneOffsetMinutes": d.timeZoneOffsetMinutes, "text": d.text, "encoding": d.encoding.rawValue,
                "dataCodingScheme": hex(d.dataCoding.rawValue), "protocolIdentifier": Int(d.protocolIdentifier),
                "messageClass": opt(d.messageClass?.rawValue),
                "concatenation": opt(concat(d.concatenation)), "moreMessagesToSend": d.moreMessagesToSend,
                "statusReportIndication": d.statusReportIndication, "replyPath": d.replyPath,
            ]
            if d.encoding == .eightBit { object["payloadHex"] = Hex.encode(d.payload) }
            if !d.headerElements.isEmpty { object["userDataHeader"] = elements(d.headerElements) }
        case .statusReport(let r):
            object = [
                "type": "SMS-STATUS-REPORT", "smsc": opt(r.smsc), "messageReference": r.messageReference,
                "recipient": r.recipient,
                "serviceCentreTimestamp": iso(r.serviceCentreTimestamp, offset: r.serviceCentreTimeZoneOffsetMinutes),
                "dischargeTime": iso(r.dischargeTime, offset: r.dischargeTimeZoneOffsetMinutes),
                "status": Int(r.status), "statusHex": hex(r.status), "statusMeaning": r.statusMeaning,
                "delivered": r.delivered, "category": r.category.rawValue, "text": opt(r.text),
            ]
        case .submit(let s):
            var validity: Any = NSNull()
            switch s.validity {
            case .none: break
            case .relative(let minutes): validity = ["relativeMinutes": minutes]
            case .absolute(let date, let offset): validity = ["absolute": iso(date, offset: offset)]
            case .enhanced(let octets): validity = ["enhancedHex": Hex.encode(octets)]
            }
            object = [
                "type": "SMS-SUBMIT", "smsc": opt(s.smsc), "destination": s.destination,
                "destinationType": hex(s.destinationTypeOfAddress), "messageReference": s.messageReference,
                "rejectDuplicates": s.rejectDuplicates, "statusReportRequested": s.statusReportRequested,
                "validity": validity, "text": s.text, "encoding": s.encoding.rawValue,
                "dataCodingScheme": hex(s.dataCoding.rawValue), "messageClass": opt(s.messageClass?.rawValue),
                "concatenation": opt(concat(s.concatenation)),
            ]
            if !s.headerElements.isEmpty { object["userDataHeader"] = elements(s.headerElements) }
        }
        let data = try JSONSerialization.data(
            withJSONObject: SnakeCaseKeys.convert(any: object), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> String { Hex.encode([b]) }

    private static func opt(_ value: Any?) -> Any { value ?? NSNull() }

    private static func concat(_ c: ConcatenationInfo?) -> [String: Any]? {
        guard let c else { return nil }
        return ["reference": c.reference, "total": c.total, "sequence": c.sequence, "sixteenBitReference": c.sixteenBitReference]
    }

    private static func elements(_ e: [InformationElement]) -> [[String: Any]] {
        e.map { ["iei": Hex.encode([$0.identifier]), "data": Hex.encode($0.data)] }
    }

    static func iso(_ date: Date, offset minutes: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: minutes * 60)
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
