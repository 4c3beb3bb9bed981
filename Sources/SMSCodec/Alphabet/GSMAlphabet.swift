/// The GSM 7-bit default alphabet and its extension table (TS 23.038 §6.2.1 and §6.2.1.1).
///
/// Encoding always uses the default tables (that is what every handset can display).
/// `Ç`/`ç` are deliberately *not* encodable: position 0x09 is capital Ç in TS 23.038 but many
/// handsets render it as small ç, so neither letter can be sent faithfully (COMPLIANCE.md,
/// "Encoding facts"). Decoding 0x09 gives `Ç`, as the specification says.
public enum GSMAlphabet {
    /// The escape to the extension table (TS 23.038 §6.2.1.1).
    public static let escape: UInt8 = 0x1B

    /// The characters that cost two septets (an escape and a code in the extension table).
    public static let extensionCharacters: Set<Character> = ["\u{0C}", "^", "{", "}", "\\", "[", "~", "]", "|", "€"]

    /// Scalar → septet code, for the scalars below `directLimit` (the Latin and Greek letters of
    /// the table): 0xFFFF none, 0x00cc a basic code, 0x1Bcc an escape sequence. `€` is the only
    /// encodable scalar above the limit.
    static let directLimit: UInt32 = 0x400
    static let directTable: [UInt16] = {
        var table = [UInt16](repeating: 0xFFFF, count: Int(directLimit))
        for (code, scalar) in GSMCharacterSet.defaultSingleShift where scalar.value < directLimit {
            table[Int(scalar.value)] = 0x1B00 | UInt16(code)
        }
        for (code, scalar) in GSMCharacterSet.defaultLocking.enumerated() where code != 0x1B && code != 0x09 {
            table[Int(scalar.value)] = UInt16(code)
        }
        return table
    }()
    static let euroSequence: UInt16 = 0x1B65

    /// 0x00cc, 0x1Bcc or nil (see `directTable`).
    @inline(__always)
    static func lookup(_ scalar: Unicode.Scalar) -> UInt16? {
        let v = scalar.value
        if v < directLimit {
            let entry = directTable[Int(v)]
            return entry == 0xFFFF ? nil : entry
        }
        return v == 0x20AC ? euroSequence : nil
    }

    /// Septets (1, or 2 for an escape sequence) for one scalar, or nil if it is not in the default alphabet.
    @inline(__always)
    static func septetCost(_ scalar: Unicode.Scalar) -> Int? {
        guard let entry = lookup(scalar) else { return nil }
        return entry > 0xFF ? 2 : 1
    }

    /// Whether every scalar of `character` is in the default alphabet or its extension table.
    public static func isEncodable(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy { septetCost($0) != nil }
    }

    /// Whether `text` can be sent with the GSM 7-bit default alphabet.
    public static func isEncodable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { septetCost($0) != nil }
    }

    /// Septet values (0...127) for `text`, escape sequences included; nil if a scalar is not encodable.
    public static func septets(for text: String) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let entry = lookup(scalar) else { return nil }
            if entry > 0xFF { out.append(escape) }
            out.append(UInt8(truncatingIfNeeded: entry))
        }
        return out
    }

    /// Text for septet values with the given tables (default: the default alphabet and extension table).
    ///
    /// TS 23.038 §6.2.1.1: an escape followed by a code that the single shift table does not define
    /// shows the character of the locking shift table; escape-escape shows a space; a lone escape
    /// at the very end is dropped.
    public static func text(from septets: [UInt8], characterSet: GSMCharacterSet = .default) -> String {
        var scalars = String.UnicodeScalarView()
        var i = 0
        let locking = characterSet.locking
        while i < septets.count {
            let s = septets[i] & 0x7F
            if s == escape {
                i += 1
                guard i < septets.count else { break }
                let next = septets[i] & 0x7F
                if next == escape {
                    scalars.append(" ")
                } else if let shifted = characterSet.singleShift[next] {
                    scalars.append(shifted)
                } else {
                    scalars.append(locking[Int(next)])
                }
            } else {
                scalars.append(locking[Int(s)])
            }
            i += 1
        }
        return String(scalars)
    }
}
