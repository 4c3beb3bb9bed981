/// Splits a text into SMS parts the way `SMSSubmitEncoder` will send it.
///
/// GSM 7-bit when every character is in the default alphabet or its extension table (TS 23.038
/// §6.2.1), else UCS-2. One part holds 160 septets / 70 UTF-16 units; a concatenated message
/// holds 153 / 67 per part (the 6-octet IEI 00 header, TS 23.040 §9.2.3.24.1). An escape sequence
/// (two septets) and a surrogate pair (two units) are never split across parts.
public enum SegmentPlanner {
    /// Plans `text`; with `smartEncoding`, typographic characters are replaced first when that
    /// avoids UCS-2 (see `SmartEncoding`).
    public static func plan(_ text: String, smartEncoding: Bool = false) -> SegmentPlan {
        var sent = text
        var replacements = [Replacement]()
        if smartEncoding {
            (sent, replacements) = SmartEncoding.apply(to: text)
        }
        let scalars = Array(sent.unicodeScalars)
        var costs = [Int]()
        costs.reserveCapacity(scalars.count)
        var encoding = SMSEncoding.gsm7
        for scalar in scalars {
            guard let cost = GSMAlphabet.septetCost(scalar) else {
                encoding = .ucs2
                break
            }
            costs.append(cost)
        }
        var nonGSM = [Character]()
        var extensions = [Character]()
        if encoding == .ucs2 {
            costs = scalars.map { $0.value > 0xFFFF ? 2 : 1 }
            var seen = Set<Character>()
            for character in sent where !GSMAlphabet.isEncodable(character) && seen.insert(character).inserted {
                nonGSM.append(character)
            }
        } else {
            // Extension characters are single scalars: collect them from the costs, not by graphemes.
            var seen = Set<UInt32>()
            for (i, cost) in costs.enumerated() where cost == 2 && seen.insert(scalars[i].value).inserted {
                extensions.append(Character(scalars[i]))
            }
        }

        let total = costs.reduce(0, +)
        var parts = [String]()
        var units = [Int]()
        if total <= encoding.singlePartCapacity {
            parts = [sent]
            units = [total]
        } else {
            // Walk the scalar view once, cutting at scalar indices: each part is a slice copy.
            let capacity = encoding.multipartCapacity
            let view = sent.unicodeScalars
            var index = view.startIndex
            var start = index
            var used = 0
            for cost in costs {
                if used + cost > capacity {
                    parts.append(String(view[start..<index]))
                    units.append(used)
                    start = index
                    used = 0
                }
                used += cost
                view.formIndex(after: &index)
            }
            parts.append(String(view[start..<view.endIndex]))
            units.append(used)
        }
        return SegmentPlan(
            encoding: encoding, text: sent, parts: parts, unitsPerPart: units,
            nonGSMCharacters: nonGSM, extensionCharacters: extensions, replacements: replacements)
    }
}
