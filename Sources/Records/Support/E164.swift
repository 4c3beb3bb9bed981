/// The numbers `Records` stores are E.164 strings (`+` then 8–15 digits, ITU-T E.164 §6);
/// parsing national forms belongs to `Compliance.PhoneNumber`, which hands us `e164`.
package enum E164 {
    /// By bytes: `+` then 8–15 ASCII digits (a non-ASCII digit such as `٣` is not one).
    package static func isValid(_ raw: String) -> Bool {
        let bytes = raw.utf8
        guard bytes.first == UInt8(ascii: "+"), (9...16).contains(bytes.count) else { return false }
        return bytes.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    package static func validated(_ raw: String) throws -> String {
        guard isValid(raw) else { throw RecordsError.invalidNumber(raw) }
        return raw
    }
}
