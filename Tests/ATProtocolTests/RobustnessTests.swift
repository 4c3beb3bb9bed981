import ATProtocol
import Testing

@Suite("Malformed answers never trap")
struct RobustnessTests {
    /// Truncations and single-character corruptions of real answers.
    static let seeds = [
        "+CSQ: 20,99", "+CREG: 2,1,\"1A2B\",\"3C4D\",7", "+CEREG: 1,\"1A2B\",\"01C3D4E5\",7", "+CPMS: \"SM\",3,30,\"SM\",3,30,\"SM\",3,30",
        "+CSCA: \"+33689004000\",145", "+CPIN: SIM PIN", "+CPINR: SIM PIN,3,3", "^CPIN: SIM PIN,3,10,3,10,3", "+QPINC: \"SC\",3,10",
        "+SPIC: 3,10,3,10", "+CNUM: \"\",\"+33600000001\",145", "+CMGL: 3,0,,24", "+CMGR: 1,,23", "+CMGS: 17", "+CMTI: \"SM\",4",
        "+CRSM: 144,0,\"983310896745230121F3\"", "^ICCID: 983310896745230121F3", "+CME ERROR: 10", "+CMS ERROR: 500",
    ]

    static var variants: [String] {
        var result: [String] = []
        let replacements: [Character] = ["\"", ",", ":", "9", "-", " ", "x", "é"]
        for seed in seeds {
            let characters = Array(seed)
            for cut in 0...characters.count { result.append(String(characters.prefix(cut))) }
            for index in characters.indices {
                for replacement in replacements {
                    var copy = characters
                    copy[index] = replacement
                    result.append(String(copy))
                }
            }
        }
        return result
    }

    @Test("every parser survives truncated and corrupted lines")
    func parsers() {
        var parsed = 0
        for line in Self.variants {
            let response = ATResponse(lines: [line, "0791AB"], final: .ok)
            if SignalQuality.parse(line) != nil { parsed += 1 }
            _ = RegistrationStatus.parseQueryResponse(line)
            _ = RegistrationStatus.parseUnsolicited(line)
            _ = StorageUsage.parse(line)
            _ = SIMStatus.parse(line)
            _ = PINRetries.parse([line])
            _ = ModemInfoParsers.serviceCentre(line)
            _ = ModemInfoParsers.ownNumbers([line])
            _ = ModemInfoParsers.messageReference([line])
            _ = ModemInfoParsers.iccid(response)
            _ = ModemInfoParsers.imei(response)
            _ = ModemInfoParsers.identityValue(response, prefix: "+CGMI")
            _ = StoredMessage.parseList([line, "0791AB"])
            _ = StoredMessage.parseRead([line, "0791AB"], index: 1)
            _ = ATFinalResult.parse(line)
            var decoder = ATFrameDecoder()
            decoder.commandSent("AT+CMGL=4")
            _ = decoder.feed(Array((line + "\r\n").utf8))
        }
        #expect(parsed > 0)
    }
}
