/// A pair of tables used to decode septets: a locking shift table (the "main" 128 characters) and a
/// single shift table (the characters reached through the escape 0x1B).
///
/// TS 23.038 §6.2.1 (default alphabet), §6.2.1.1 (extension table), Annex A.2/A.3 (national
/// language single/locking shift tables, signalled in a UDH with IEI 0x24/0x25, TS 23.040 §9.2.3.24.15/16).
public struct GSMCharacterSet: Sendable, Equatable {
    /// 128 scalars; index 0x1B is the escape and is never produced on its own.
    public let locking: [Unicode.Scalar]
    public let singleShift: [UInt8: Unicode.Scalar]
    /// National language identifiers (0 = default) of the two tables.
    public let lockingLanguage: UInt8
    public let singleShiftLanguage: UInt8

    public static let `default` = GSMCharacterSet(
        locking: defaultLocking, singleShift: defaultSingleShift, lockingLanguage: 0, singleShiftLanguage: 0)

    /// The tables for a UDH's national language identifiers (TS 23.038 Table 6.2.1.2.4.1).
    /// Known: 1 Turkish, 2 Spanish (single shift only; its locking shift is the default alphabet),
    /// 3 Portuguese. Anything else is `CodecError.unsupportedNationalLanguage` rather than a guess.
    public static func forLanguages(lockingShift: UInt8?, singleShift: UInt8?) throws -> GSMCharacterSet {
        let lockingTable: [Unicode.Scalar]
        switch lockingShift {
        case nil, 0?: lockingTable = defaultLocking
        case 1?: lockingTable = turkishLocking
        case 2?: lockingTable = defaultLocking
        case 3?: lockingTable = portugueseLocking
        case let id?: throw CodecError.unsupportedNationalLanguage(identifier: id, lockingShift: true)
        }
        let shiftTable: [UInt8: Unicode.Scalar]
        switch singleShift {
        case nil, 0?: shiftTable = defaultSingleShift
        case 1?: shiftTable = turkishSingleShift
        case 2?: shiftTable = spanishSingleShift
        case 3?: shiftTable = portugueseSingleShift
        case let id?: throw CodecError.unsupportedNationalLanguage(identifier: id, lockingShift: false)
        }
        return GSMCharacterSet(
            locking: lockingTable, singleShift: shiftTable,
            lockingLanguage: lockingShift ?? 0, singleShiftLanguage: singleShift ?? 0)
    }

    // MARK: Tables (TS 23.038; transcribed by row, 0x00–0x7F; "\u{1B}" marks the escape position)

    static func table(_ text: String) -> [Unicode.Scalar] {
        let scalars = Array(text.unicodeScalars)
        precondition(scalars.count == 128, "GSM table must have 128 entries, has \(scalars.count)")
        return scalars
    }

    /// §6.2.1 GSM 7 bit default alphabet.
    static let defaultLocking = table(
        "@£$¥èéùìòÇ\nØø\rÅå" + "Δ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ" + " !\"#¤%&'()*+,-./" + "0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNO" + "PQRSTUVWXYZÄÖÑÜ§" + "¿abcdefghijklmno" + "pqrstuvwxyzäöñüà")

    /// §6.2.1.1 GSM 7 bit default alphabet extension table.
    static let defaultSingleShift: [UInt8: Unicode.Scalar] = [
        0x0A: "\u{0C}", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
        0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
    ]

    /// A.3.1 Turkish national language locking shift table.
    static let turkishLocking = table(
        "@£$¥€éùıòÇ\nĞğ\rÅå" + "Δ_ΦΓΛΩΠΨΣΘΞ\u{1B}ŞşßÉ" + " !\"#¤%&'()*+,-./" + "0123456789:;<=>?"
            + "İABCDEFGHIJKLMNO" + "PQRSTUVWXYZÄÖÑÜ§" + "çabcdefghijklmno" + "pqrstuvwxyzäöñüà")

    /// A.2.1 Turkish national language single shift table.
    static let turkishSingleShift: [UInt8: Unicode.Scalar] = defaultSingleShift.merging([
        0x47: "Ğ", 0x49: "İ", 0x53: "Ş", 0x63: "ç", 0x67: "ğ", 0x69: "ı", 0x73: "ş",
    ]) { _, new in new }

    /// A.2.2 Spanish national language single shift table.
    static let spanishSingleShift: [UInt8: Unicode.Scalar] = defaultSingleShift.merging([
        0x09: "ç", 0x41: "Á", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x61: "á", 0x69: "í", 0x6F: "ó", 0x75: "ú",
    ]) { _, new in new }

    /// A.3.3 Portuguese national language locking shift table.
    static let portugueseLocking = table(
        "@£$¥êéúíóç\nÔô\rÁá" + "Δ_ªÇÀ∞^\\€Ó|\u{1B}ÂâÊÉ" + " !\"#º%&'()*+,-./" + "0123456789:;<=>?"
            + "ÍABCDEFGHIJKLMNO" + "PQRSTUVWXYZÃÕÚÜ§" + "~abcdefghijklmno" + "pqrstuvwxyzãõ`üà")

    /// A.2.3 Portuguese national language single shift table.
    static let portugueseSingleShift: [UInt8: Unicode.Scalar] = [
        0x05: "ê", 0x09: "ç", 0x0A: "\u{0C}", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á", 0x0F: "á",
        0x12: "Φ", 0x13: "Γ", 0x14: "^", 0x15: "Ω", 0x16: "Π", 0x17: "Ψ", 0x18: "Σ", 0x19: "Θ",
        0x1F: "Ê", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|",
        0x41: "À", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú", 0x5B: "Ã", 0x5C: "Õ", 0x61: "Â", 0x65: "€",
        0x69: "í", 0x6F: "ó", 0x75: "ú", 0x7B: "ã", 0x7C: "õ", 0x7F: "â",
    ]
}
