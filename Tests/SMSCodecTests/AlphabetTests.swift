import Testing
@testable import SMSCodec

@Suite("GSM 7-bit alphabet and septets (TS 23.038 §6.1.2.1, §6.2.1)")
struct AlphabetTests {
    @Test("tables have 128 entries and the escape at 0x1B")
    func tableShape() {
        for table in [GSMCharacterSet.defaultLocking, GSMCharacterSet.turkishLocking, GSMCharacterSet.portugueseLocking] {
            #expect(table.count == 128)
            #expect(table[0x1B] == "\u{1B}")
        }
    }

    /// Positions checked against the TS 23.038 §6.2.1 table, one per row and every special letter.
    @Test(arguments: [
        (0x00, "@"), (0x01, "£"), (0x02, "$"), (0x03, "¥"), (0x04, "è"), (0x05, "é"), (0x06, "ù"), (0x07, "ì"),
        (0x08, "ò"), (0x09, "Ç"), (0x0A, "\n"), (0x0B, "Ø"), (0x0C, "ø"), (0x0D, "\r"), (0x0E, "Å"), (0x0F, "å"),
        (0x10, "Δ"), (0x11, "_"), (0x12, "Φ"), (0x13, "Γ"), (0x14, "Λ"), (0x15, "Ω"), (0x16, "Π"), (0x17, "Ψ"),
        (0x18, "Σ"), (0x19, "Θ"), (0x1A, "Ξ"), (0x1C, "Æ"), (0x1D, "æ"), (0x1E, "ß"), (0x1F, "É"),
        (0x20, " "), (0x24, "¤"), (0x40, "¡"), (0x41, "A"), (0x5A, "Z"), (0x5B, "Ä"), (0x5C, "Ö"), (0x5D, "Ñ"),
        (0x5E, "Ü"), (0x5F, "§"), (0x60, "¿"), (0x61, "a"), (0x7A, "z"), (0x7B, "ä"), (0x7C, "ö"), (0x7D, "ñ"),
        (0x7E, "ü"), (0x7F, "à"),
    ] as [(Int, String)])
    func defaultAlphabetPosition(code: Int, character: String) {
        #expect(GSMAlphabet.text(from: [UInt8(code)]) == character)
    }

    @Test(arguments: [
        ("\u{0C}", 0x0A), ("^", 0x14), ("{", 0x28), ("}", 0x29), ("\\", 0x2F),
        ("[", 0x3C), ("~", 0x3D), ("]", 0x3E), ("|", 0x40), ("€", 0x65),
    ] as [(String, Int)])
    func extensionCharacterIsEscapeSequence(character: String, code: Int) {
        #expect(GSMAlphabet.septets(for: character) == [0x1B, UInt8(code)])
        #expect(GSMAlphabet.text(from: [0x1B, UInt8(code)]) == character)
    }

    @Test("ç and Ç are not encoded (0x09 is ambiguous between handsets)")
    func cedillaIsNotGSM() {
        #expect(GSMAlphabet.septets(for: "ç") == nil)
        #expect(GSMAlphabet.septets(for: "Ç") == nil)
    }

    @Test("unknown escape shows the main-table character; escape-escape shows a space; trailing escape dropped")
    func escapeFallbacks() {
        #expect(GSMAlphabet.text(from: [0x1B, 0x41]) == "A")
        #expect(GSMAlphabet.text(from: [0x1B, 0x1B]) == " ")
        #expect(GSMAlphabet.text(from: [0x41, 0x1B]) == "A")
    }

    /// "hellohello" packs to E8329BFD4697D9EC37 — the worked example of the SMS PDU tutorial
    /// at dreamfabric.com/sms/hello.html (also in TS 23.038 §6.1.2.1.1's packing description).
    @Test("hellohello packs to E8329BFD4697D9EC37")
    func hellohello() throws {
        let septets = try #require(GSMAlphabet.septets(for: "hellohello"))
        #expect(Hex.encode(Septets.pack(septets)) == "E8329BFD4697D9EC37")
        #expect(Septets.unpack(try Hex.decode("E8329BFD4697D9EC37"), count: 10) == septets)
    }

    /// Fill bits: after a header of N octets the text starts at the next septet boundary.
    @Test(arguments: [(1, 6), (2, 5), (3, 4), (5, 2), (6, 1), (7, 0), (12, 2)])
    func fillBitsRoundTrip(headerOctets: Int, expectedFill: Int) throws {
        let headerSeptets = (headerOctets * 8 + 6) / 7
        let fill = headerSeptets * 7 - headerOctets * 8
        #expect(fill == expectedFill)
        let septets: [UInt8] = (0..<50).map { UInt8(($0 * 37 + 11) % 128) }
        let packed = Septets.pack(septets, fillBits: fill)
        #expect(packed.count == Septets.octetCount(septets: septets.count, fillBits: fill))
        #expect(Septets.unpack(packed, count: septets.count, fillBits: fill) == septets)
    }

    @Test("one fill bit after the 6-octet concatenation header: first septet shifted left by one")
    func oneFillBit() {
        // "A" = 0x41 after one fill bit: 0x41 << 1 = 0x82.
        #expect(Septets.pack([0x41], fillBits: 1) == [0x82])
    }

    @Test("unpack refuses to read past the octets")
    func unpackShort() {
        #expect(Septets.unpack([0xE8, 0x32], count: 3) == nil)
    }

    @Test("UCS-2 carries emoji as a surrogate pair")
    func ucs2Surrogates() {
        #expect(Hex.encode(UCS2.encode("a😀")) == "0061D83DDE00")
        #expect(UCS2.decode([0x00, 0x61, 0xD8, 0x3D, 0xDE, 0x00]) == "a😀")
        #expect(UCS2.decode([0xD8, 0x3D]) == "\u{FFFD}")
    }
}

@Suite("National language tables (TS 23.038 Annex A)")
struct NationalLanguageTests {
    @Test(arguments: [
        // (locking, single, septets, expected)
        (UInt8(1), UInt8(1), [UInt8(0x07), 0x40, 0x1B, 0x53, 0x60, 0x04], "ıİŞç€"),
        (UInt8(0), UInt8(2), [UInt8(0x1B), 0x09, 0x1B, 0x41, 0x1B, 0x75], "çÁú"),
        (UInt8(3), UInt8(3), [UInt8(0x04), 0x14, 0x1B, 0x61, 0x7B, 0x15], "êÀÂã∞"),
        (UInt8(2), UInt8(0), [UInt8(0x41), 0x1B, 0x65], "A€"),
    ])
    func decodeWithShiftTables(locking: UInt8, single: UInt8, septets: [UInt8], expected: String) throws {
        let set = try GSMCharacterSet.forLanguages(lockingShift: locking, singleShift: single)
        #expect(GSMAlphabet.text(from: septets, characterSet: set) == expected)
    }

    @Test(arguments: [(UInt8(4), true), (UInt8(13), false), (UInt8(0x7F), true)])
    func unknownLanguageIsAnError(id: UInt8, locking: Bool) {
        #expect(throws: CodecError.unsupportedNationalLanguage(identifier: id, lockingShift: locking)) {
            _ = try GSMCharacterSet.forLanguages(lockingShift: locking ? id : nil, singleShift: locking ? nil : id)
        }
    }
}
