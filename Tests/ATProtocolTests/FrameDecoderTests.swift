import ATProtocol
import Testing
import TestSupport

/// A captured exchange: what the host had sent (which sets the decoder's context), the bytes the
/// modem answered with, and the frames they must give.
struct Capture: Sendable, CustomTestStringConvertible {
    let name: String
    let command: String?
    var expectsPrompt = false
    let bytes: String
    let frames: [ATFrame]
    var testDescription: String { name }
}

let captures: [Capture] = [
    Capture(name: "plain OK, echo off", command: "AT", bytes: "\r\nOK\r\n", frames: [.final(.ok)]),
    Capture(name: "echo on: bare CR after the echo", command: "AT+CSQ", bytes: "AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n",
            frames: [.echo("AT+CSQ"), .information("+CSQ: 17,99"), .final(.ok)]),
    Capture(name: "echo with different case", command: "at+cgmi", bytes: "at+cgmi\r\r\nhuawei\r\n\r\nOK\r\n",
            frames: [.echo("at+cgmi"), .information("huawei"), .final(.ok)]),
    Capture(name: "bare LF line ends", command: "AT+CGMM", bytes: "\nEC25\n\nOK\n", frames: [.information("EC25"), .final(.ok)]),
    Capture(name: "numeric CME", command: "AT+CPIN?", bytes: "\r\n+CME ERROR: 10\r\n",
            frames: [.final(.cmeError(ATErrorDetail(code: 10, meaning: "SIM not inserted")))]),
    Capture(name: "verbose CME", command: "AT+CPIN?", bytes: "\r\n+CME ERROR: SIM PIN required\r\n",
            frames: [.final(.cmeError(ATErrorDetail(code: 11, meaning: "SIM PIN required")))]),
    Capture(name: "verbose CME unknown to the table", command: "AT+CPIN?", bytes: "\r\n+CME ERROR: vendor trouble\r\n",
            frames: [.final(.cmeError(ATErrorDetail(code: nil, meaning: "vendor trouble")))]),
    Capture(name: "numeric CMS", command: "AT+CMGS=20", expectsPrompt: true, bytes: "\r\n+CMS ERROR: 500\r\n",
            frames: [.final(.cmsError(ATErrorDetail(code: 500, meaning: "unknown error")))]),
    Capture(name: "vendor final", command: "AT^FOO", bytes: "\r\nCOMMAND NOT SUPPORT\r\n", frames: [.final(.vendorError("COMMAND NOT SUPPORT"))]),
    Capture(name: "call finals", command: "ATD123;", bytes: "\r\nNO CARRIER\r\n", frames: [.final(.noCarrier)]),
    Capture(name: "prompt without newline", command: "AT+CMGS=23", expectsPrompt: true, bytes: "\r\n> ", frames: [.prompt]),
    Capture(name: "prompt after echo", command: "AT+CMGS=23", expectsPrompt: true, bytes: "AT+CMGS=23\r\r\n> ",
            frames: [.echo("AT+CMGS=23"), .prompt]),
    Capture(name: "URC before the prompt", command: "AT+CMGS=23", expectsPrompt: true, bytes: "\r\n+CMTI: \"SM\",3\r\n\r\n> ",
            frames: [.unsolicited(.newMessage(storage: "SM", index: 3)), .prompt]),
    Capture(name: "URCs in the middle of a list", command: "AT+CMGL=4",
            bytes: "\r\n+CMGL: 0,1,,5\r\n0011000B91\r\n^RSSI: 14\r\n+CMTI: \"ME\",7\r\n+CMGL: 1,0,,5\r\n0011000B92\r\n\r\nOK\r\n",
            frames: [.information("+CMGL: 0,1,,5"), .information("0011000B91"), .unsolicited(.vendor("^RSSI: 14")),
                     .unsolicited(.newMessage(storage: "ME", index: 7)), .information("+CMGL: 1,0,,5"), .information("0011000B92"), .final(.ok)]),
    Capture(name: "+CMT with its PDU line mid-response", command: "AT+CSQ",
            bytes: "\r\n+CMT: ,24\r\n07913396050036F0040B913366\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
            frames: [.unsolicited(.deliver(pduHex: "07913396050036F0040B913366", length: 24)), .information("+CSQ: 20,99"), .final(.ok)]),
    Capture(name: "+CDS status report and its PDU", command: nil, bytes: "\r\n+CDS: 25\r\n07913396050036F006\r\n",
            frames: [.unsolicited(.statusReport(pduHex: "07913396050036F006", length: 25))]),
    Capture(name: "+CDSI", command: nil, bytes: "\r\n+CDSI: \"SM\",4\r\n", frames: [.unsolicited(.statusReportStored(storage: "SM", index: 4))]),
    Capture(name: "+CREG is an answer to AT+CREG? but a URC otherwise", command: "AT+CREG?",
            bytes: "\r\n+CGREG: 1\r\n+CREG: 0,1\r\n\r\nOK\r\n",
            frames: [.unsolicited(.registration(RegistrationStatus(domain: .gprs, state: .home))), .information("+CREG: 0,1"), .final(.ok)]),
    Capture(name: "boot chatter with no command", command: nil,
            bytes: "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n^BOOT:1234,0,0,0,6\r\n+QIND: SMS DONE\r\nRING\r\n",
            frames: [.unsolicited(.modemRestarted("RDY")), .unsolicited(.vendor("+CFUN: 1")), .unsolicited(.simStatus(.ready)),
                     .unsolicited(.vendor("Call Ready")), .unsolicited(.vendor("SMS Ready")), .unsolicited(.vendor("^BOOT:1234,0,0,0,6")),
                     .unsolicited(.vendor("+QIND: SMS DONE")), .unsolicited(.ring)]),
    Capture(name: "+CPIN: READY is the answer to AT+CPIN?", command: "AT+CPIN?", bytes: "\r\n+CPIN: READY\r\n\r\nOK\r\n",
            frames: [.information("+CPIN: READY"), .final(.ok)]),
    Capture(name: "Huawei noise between answer lines", command: "AT+CGSN",
            bytes: "\r\n^HCSQ: \"LTE\",50,40,120,20\r\n867223020000001\r\n^MODE: 7,17\r\n\r\nOK\r\n",
            frames: [.unsolicited(.vendor("^HCSQ: \"LTE\",50,40,120,20")), .information("867223020000001"), .unsolicited(.vendor("^MODE: 7,17")), .final(.ok)]),
    Capture(name: "answer to a vendor command is information", command: "AT^ICCID?", bytes: "\r\n^ICCID: 98331089\r\n\r\nOK\r\n",
            frames: [.information("^ICCID: 98331089"), .final(.ok)]),
    Capture(name: "garbage line dropped, resynchronised", command: "AT",
            bytes: "\u{00}\u{FF}\u{01}xx\r\nOK\r\n", frames: [.discarded(.invalidBytes(hexPrefix: "00FF017878", count: 5)), .final(.ok)]),
    Capture(name: "+CMT not followed by a PDU", command: nil, bytes: "+CMT: ,24\r\nOK\r\n",
            frames: [.discarded(.missingPDU(after: "+CMT: ,24", got: "OK")), .final(.ok)]),
]

@Suite("AT frame decoder")
struct FrameDecoderTests {
    static func decode(_ capture: Capture, chunks: [[UInt8]]) -> [ATFrame] {
        var decoder = ATFrameDecoder()
        if let command = capture.command { decoder.commandSent(command, expectsPrompt: capture.expectsPrompt) }
        return chunks.flatMap { decoder.feed($0) }
    }

    static func bytes(_ capture: Capture) -> [UInt8] {
        // Captures are written with \u{XX} escapes: each scalar up to U+00FF is that byte.
        capture.bytes.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    @Test("all at once gives the expected frames", arguments: captures)
    func allAtOnce(capture: Capture) {
        #expect(Self.decode(capture, chunks: [Self.bytes(capture)]) == capture.frames)
    }

    @Test("byte by byte gives the same frames", arguments: captures)
    func byteByByte(capture: Capture) {
        #expect(Self.decode(capture, chunks: Self.bytes(capture).map { [$0] }) == capture.frames)
    }

    @Test("random chunks give the same frames", arguments: captures)
    func randomChunks(capture: Capture) {
        var generator = SeededGenerator(seed: UInt64(capture.name.utf8.count) &* 7919)
        let all = Self.bytes(capture)
        for _ in 0..<50 {
            var chunks: [[UInt8]] = []
            var index = 0
            while index < all.count {
                let size = Int(generator.next() % 7) + 1
                chunks.append(Array(all[index..<min(all.count, index + size)]))
                index += size
            }
            #expect(Self.decode(capture, chunks: chunks) == capture.frames)
        }
    }

    @Test("a resync query stays in flight across late finals until its own answer, in one chunk or byte by byte")
    func resyncQuery() {
        // A timed-out AT+CSQ answers late, then the marker query's answer follows in the same read.
        let bytes = Array("\r\n+CSQ: 20,99\r\n\r\nOK\r\n\r\n+CSCS: \"IRA\"\r\n\r\nOK\r\n\r\n+CSCS: \"GSM\"\r\n".utf8)
        let expected: [ATFrame] = [.information("+CSQ: 20,99"), .final(.ok), .information("+CSCS: \"IRA\""), .final(.ok),
                                   .unsolicited(.vendor("+CSCS: \"GSM\""))]
        var whole = ATFrameDecoder()
        whole.resyncQuerySent("AT+CSCS?")
        #expect(whole.feed(bytes) == expected)
        var bytewise = ATFrameDecoder()
        bytewise.resyncQuerySent("AT+CSCS?")
        #expect(bytes.flatMap { bytewise.feed([$0]) } == expected)
        // An ordinary command ends at its first final: the same bytes make the marker line a URC.
        var plain = ATFrameDecoder()
        plain.commandSent("AT+CSCS?")
        #expect(plain.feed(bytes)[2] == .unsolicited(.vendor("+CSCS: \"IRA\"")))
    }

    @Test("an over-long line is reported once and the decoder resynchronises")
    func overlong() {
        var decoder = ATFrameDecoder(maximumLineLength: 16)
        decoder.commandSent("AT")
        let frames = decoder.feed(Array(("X" + String(repeating: "A", count: 100) + "\r\nOK\r\n").utf8))
        #expect(frames.count == 2)
        guard case .discarded(.lineTooLong(_, let limit)) = frames.first else {
            Issue.record("expected lineTooLong, got \(frames)")
            return
        }
        #expect(limit == 16)
        #expect(frames.last == .final(.ok))
    }

    @Test("random bytes never trap and the next line is understood")
    func fuzz() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            var decoder = ATFrameDecoder(maximumLineLength: 64)
            decoder.commandSent("AT+CSQ")
            let noise = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = decoder.feed(noise)
            decoder.commandSent("AT")
            let frames = decoder.feed(Array("\r\nOK\r\n".utf8))
            #expect(frames.last == .final(.ok))
        }
    }

    @Test("the prompt is recognised only at the start of a line")
    func promptPlacement() {
        var decoder = ATFrameDecoder()
        decoder.commandSent("AT+CGMR")
        #expect(decoder.feed(Array("\r\nrev > 2\r\nOK\r\n".utf8)) == [.information("rev > 2"), .final(.ok)])
    }

    @Test("the echo of the PDU after the prompt is recognised, Ctrl-Z dropped")
    func pduEcho() {
        var decoder = ATFrameDecoder()
        decoder.commandSent("AT+CMGS=5", expectsPrompt: true)
        #expect(decoder.feed(Array("AT+CMGS=5\r\r\n> ".utf8)) == [.echo("AT+CMGS=5"), .prompt])
        decoder.dataSent("0011000B91")
        #expect(decoder.feed(Array("0011000B91\u{1A}\r\n+CMGS: 7\r\n\r\nOK\r\n".utf8)) == [.echo("0011000B91"), .information("+CMGS: 7"), .final(.ok)])
    }

    @Test("after a final result, lines are unsolicited until the next command")
    func afterFinal() {
        var decoder = ATFrameDecoder()
        decoder.commandSent("AT+CSQ")
        #expect(decoder.feed(Array("\r\nOK\r\n+CSQ: 1,1\r\n".utf8)) == [.final(.ok), .unsolicited(.vendor("+CSQ: 1,1"))])
        #expect(!decoder.hasCommandInFlight)
    }

    @Test("response prefixes of commands", arguments: [
        ("AT+CSQ", "+CSQ" as String?), ("AT+CREG?", "+CREG"), ("AT+CMGS=23", "+CMGS"), ("AT^ICCID?", "^ICCID"),
        ("at+cpin=\"1234\"", "+CPIN"), ("ATE0", nil), ("AT", nil),
    ])
    func responsePrefix(command: String, prefix: String?) {
        #expect(ATFrameDecoder.responsePrefix(of: command) == prefix)
    }
}

