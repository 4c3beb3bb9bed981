/// The numbers `Records` stores are E.164 strings (`+` then 8–15 digits, ITU-T E.164 §6);
/// parsing national forms belongs to `Compliance.PhoneNumber`, which hands us `e164`.
package enum E164 {
    package static func isValid(_ raw: String) -> Bool {
        guard raw.first == "+" else { return false }
        let digits = raw.dropFirst()
        return (8...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    package static func validated(_ raw: String) throws -> String {
        guard isValid(raw) else { throw RecordsError.invalidNumber(raw) }
        return raw
    }
}
