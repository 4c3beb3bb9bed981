/// Parsers for the short identity and number answers (TS 27.007 §5, §7.1, TS 27.005 §3.3.1).
public enum ModemInfoParsers {
    /// The value of an identity answer (`+CGMI`, `+CGMM`, `+CGMR`, `+CGSN`, `+CIMI`): some modems prefix
    /// it with the command name (`+CGMM: "EC25"`), some print it bare, some add `Manufacturer:` labels.
    public static func identityValue(_ response: ATResponse, prefix: String) -> String? {
        for line in response.lines {
            if let fields = ATFields.fields(of: line, prefix: prefix), let first = fields.first, !first.isEmpty {
                return fields.count == 1 ? first.value : line.dropPrefix(caseInsensitive: prefix + ":")?.trimmingATWhitespace()
            }
        }
        guard let line = response.bareLines.first(where: { !$0.isEmpty }) else { return nil }
        for label in ["Manufacturer:", "Model:", "Revision:", "IMEI:"] {
            if let rest = line.dropPrefix(caseInsensitive: label) { return rest.trimmingATWhitespace() }
        }
        return line.trimmingCharacters(quotes: true)
    }

    /// IMEI (15 digits, or 14/16 for IMEISV answers) from `AT+CGSN`.
    public static func imei(_ response: ATResponse) -> String? {
        digits(identityValue(response, prefix: "+CGSN"), allowed: 14...17)
    }

    /// IMSI (up to 15 digits) from `AT+CIMI`.
    public static func imsi(_ response: ATResponse) -> String? {
        digits(identityValue(response, prefix: "+CIMI"), allowed: 6...15)
    }

    /// ICCID from `+CCID: 89…`, `^ICCID: …` (Huawei), `+QCCID: 89…` (Quectel), `+ICCID: 89…` (SIMCom), a
    /// bare line, or `+CRSM: 144,0,"…"` (EF_ICCID read with `AT+CRSM=176,12258,0,0,10`, TS 51.011
    /// §10.1.1). EF_ICCID is stored with swapped nibbles (`98…`); such values are swapped back. Up to 20
    /// digits; trailing `F` filler removed.
    public static func iccid(_ response: ATResponse) -> String? {
        for line in response.lines {
            let (name, fields) = ATFields.split(line)
            let candidate: String?
            switch name?.uppercased() {
            case nil: candidate = line.trimmingCharacters(quotes: true)
            case "+CRSM": candidate = fields.count >= 3 && fields[0].int == 144 ? fields[2].value : nil
            default: candidate = fields.first?.value
            }
            guard var value = candidate?.uppercased(), value.allSatisfy(\.isASCIIDigitOrHex) else { continue }
            if value.hasPrefix("98") { value = swapNibbles(value) }
            while value.hasSuffix("F") { value.removeLast() }
            if (18...20).contains(value.count), value.hasPrefix("89"), value.allSatisfy(\.isASCIIDigit) { return value }
        }
        return nil
    }

    static func swapNibbles(_ value: String) -> String {
        var characters = Array(value)
        var i = 0
        while i + 1 < characters.count {
            characters.swapAt(i, i + 1)
            i += 2
        }
        return String(characters)
    }

    /// The numbers of `+CNUM: [<alpha>],<number>,<type>` lines (TS 27.007 §7.1), in order.
    public static func ownNumbers(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            guard let fields = ATFields.fields(of: line, prefix: "+CNUM"), fields.count >= 2 else { return nil }
            let number = fields[1].value
            guard !number.isEmpty else { return nil }
            let type = fields.count > 2 ? fields[2].int : nil
            if type == 145, !number.hasPrefix("+") { return "+" + number }
            return number
        }
    }

    /// The service centre of `+CSCA: <sca>,<tosca>` (TS 27.005 §3.3.1); a UCS-2 hex answer (when the
    /// character set is UCS2) is decoded. nil when unset.
    public static func serviceCentre(_ line: String) -> String? {
        guard let fields = ATFields.fields(of: line, prefix: "+CSCA"), var number = fields.first?.value, !number.isEmpty else { return nil }
        if number.count % 4 == 0, number.count >= 8, number.allSatisfy(\.isASCIIDigitOrHex), number.hasPrefix("00") {
            var decoded = ""
            var chunk = Substring(number)
            while !chunk.isEmpty {
                guard let unit = UInt32(chunk.prefix(4), radix: 16), let scalar = Unicode.Scalar(unit) else { return number }
                decoded.unicodeScalars.append(scalar)
                chunk = chunk.dropFirst(4)
            }
            number = decoded
        }
        if fields.count > 1, fields[1].int == 145, !number.hasPrefix("+") { number = "+" + number }
        return number
    }

    /// The message reference of `+CMGS: <mr>[,<scts>]` (TS 27.005 §3.5.1).
    public static func messageReference(_ lines: [String]) -> Int? {
        for line in lines {
            if let fields = ATFields.fields(of: line, prefix: "+CMGS"), let mr = fields.first?.int, (0...255).contains(mr) { return mr }
        }
        return nil
    }

    private static func digits(_ value: String?, allowed: ClosedRange<Int>) -> String? {
        guard let value, allowed.contains(value.count), value.allSatisfy(\.isASCIIDigit) else { return nil }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isASCIIDigitOrHex: Bool { isASCIIDigit || ("A"..."F").contains(self) || ("a"..."f").contains(self) }
}

extension String {
    func trimmingCharacters(quotes: Bool) -> String {
        var value = trimmingATWhitespace()
        if quotes, value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return value
    }
}
