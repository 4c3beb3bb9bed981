/// One key style in every JSON the command line prints: snake_case, as in the data directory's
/// files and status.json (`segmentCount` → `segment_count`, `nonGSMCharacters` → `non_gsm_characters`).
enum SnakeCaseKeys {
    static func convert(_ key: String) -> String {
        let characters = Array(key)
        var out = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    out.append("_")
                }
            }
            out += character.lowercased()
        }
        return out
    }

    /// `value` with every dictionary key converted, at any depth.
    static func convert(any value: Any) -> Any {
        if let dictionary = value as? [String: Any] {
            return Dictionary(uniqueKeysWithValues: dictionary.map { (convert($0.key), convert(any: $0.value)) })
        }
        if let array = value as? [Any] { return array.map { convert(any: $0) } }
        return value
    }
}
