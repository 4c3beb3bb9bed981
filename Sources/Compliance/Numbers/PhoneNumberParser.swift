/// The parsing rules behind `PhoneNumber.parse(_:defaultCountry:)`.
enum PhoneNumberParser {
    /// Characters people put between digits.
    static let separators: Set<Character> = [
        " ", "\t", ".", "-", "/", "(", ")", "\u{00A0}", "\u{202F}", "\u{2009}", "\u{2010}", "\u{2011}", "\u{2013}",
    ]

    static func parse(_ raw: String, defaultCountry: String) throws(PhoneNumberError) -> PhoneNumber {
        let input = raw.trimmingWhitespace()
        var digits = ""
        var international = false
        // "+33 (0)6 …": the "(0)" is the trunk prefix shown for national callers; drop it.
        var text = Substring(input)
        if text.hasPrefix("+") || text.hasPrefix("00") {
            text = Substring(input.replacing("(0)", with: ""))
        }
        for character in text {
            if let ascii = character.asciiValue, ascii >= 0x30, ascii <= 0x39 {
                digits.append(character)
            } else if character == "+" {
                guard digits.isEmpty, !international else { throw .misplacedPlus(input: input) }
                international = true
            } else if separators.contains(character) {
                continue
            } else if character.isLetter {
                throw .containsLetters(input: input)
            } else {
                throw .invalidCharacter(character, input: input)
            }
        }
        guard !digits.isEmpty else { throw .empty }

        let defaultPlan = NumberingPlan.forRegion(defaultCountry)
        if !international {
            if digits.hasPrefix("00") {
                international = true
                digits.removeFirst(2)
            } else if defaultPlan?.callingCode == "1", digits.hasPrefix("011") {
                international = true
                digits.removeFirst(3)
            }
        }

        var callingCode: String
        var nsn: String
        if international {
            guard let code = NumberingPlan.callingCodes.first(where: { digits.hasPrefix($0) }) else {
                throw .unknownCallingCode(digits: String(digits.prefix(3)))
            }
            callingCode = code
            nsn = String(digits.dropFirst(code.count))
            // "+33 06 12 34 56 78": a trunk prefix written after the calling code.
            if let main = NumberingPlan.forCallingCode(code).first {
                for trunk in main.trunkPrefixes where nsn.hasPrefix(trunk)
                    && !main.nationalLengths.contains(nsn.count)
                    && main.nationalLengths.contains(nsn.count - trunk.count) {
                    nsn.removeFirst(trunk.count)
                    break
                }
            }
        } else {
            guard let plan = defaultPlan else { throw .unknownCountry(defaultCountry) }
            callingCode = plan.callingCode
            nsn = digits
            // In plans with a trunk prefix, a national number never starts with it.
            if let trunk = plan.trunkPrefixes.first(where: { nsn.hasPrefix($0) }) {
                nsn.removeFirst(trunk.count)
            }
            if plan.frenchPlan { callingCode = "33" }
        }

        // Overseas departments dialled in the French plan.
        if callingCode == "33",
           let overseas = NumberingPlan.frenchOverseasPrefixes.first(where: { nsn.hasPrefix($0.prefix) }) {
            callingCode = overseas.callingCode
        }

        guard let plan = NumberingPlan.region(callingCode: callingCode, nationalNumber: nsn) else {
            throw .unknownCallingCode(digits: callingCode)
        }
        if nsn.count < plan.nationalLengths.lowerBound {
            throw .tooShort(nationalNumber: nsn, region: plan.region, minimum: plan.nationalLengths.lowerBound)
        }
        let maximum = min(plan.nationalLengths.upperBound, 15 - callingCode.count)
        if nsn.count > maximum {
            throw .tooLong(nationalNumber: nsn, region: plan.region, maximum: maximum)
        }
        if plan.trunkPrefixes.contains("0"), nsn.hasPrefix("0") {
            throw .invalidNationalNumber(nationalNumber: nsn, region: plan.region)
        }
        if callingCode == "1" {
            // NANP: area code and exchange code start with 2–9 (NANP numbering plan, "NXX-NXX-XXXX").
            let bytes = Array(nsn.utf8)
            if bytes[0] < UInt8(ascii: "2") || bytes[3] < UInt8(ascii: "2") {
                throw .invalidNationalNumber(nationalNumber: nsn, region: plan.region)
            }
        }
        return PhoneNumber(callingCode: callingCode, nationalNumber: nsn, region: plan.region)
    }
}
