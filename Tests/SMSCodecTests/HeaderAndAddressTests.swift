import Testing
@testable import SMSCodec

@Suite("UDH and address fields")
struct HeaderAndAddressTests {
    /// python-gsmmodem TestUdhConcatenation: IEI 00 (8-bit reference 23, part 1 of 3) and
    /// IEI 08 (16-bit reference 384, part 2 of 4).
    @Test(arguments: [
        ("050003170301", ConcatenationInfo(reference: 23, total: 3, sequence: 1)),
        ("06080401800402", ConcatenationInfo(reference: 384, total: 4, sequence: 2, sixteenBitReference: true)),
    ])
    func concatenationElements(hex: String, expected: ConcatenationInfo) throws {
        let header = try UserDataHeader.parse(Hex.decode(hex))
        #expect(header.concatenation == expected)
        #expect(Hex.encode(header.encoded) == hex)
    }

    /// TS 23.040 §9.2.3.24.1: a sequence of 0 or above the total means the element is ignored.
    @Test(arguments: ["050003170300", "050003170304", "050003170000"])
    func invalidConcatenationIgnored(hex: String) throws {
        #expect(try UserDataHeader.parse(Hex.decode(hex)).concatenation == nil)
    }

    @Test("unknown elements are kept, overruns are errors")
    func elements() throws {
        let header = try UserDataHeader.parse(Hex.decode("0B0504158A00000003170301"))
        #expect(header.elements.map(\.identifier) == [0x05, 0x00])
        #expect(header.concatenation?.reference == 0x17)
        #expect(throws: CodecError.self) { _ = try UserDataHeader.parse(Hex.decode("05000417030102")) }
        #expect(throws: CodecError.self) { _ = try UserDataHeader.parse(Hex.decode("0600031703")) }
    }

    /// python-gsmmodem TestSmsPduSmscFields: the SMSC length counts octets, not digits.
    @Test(arguments: [("+9876543210", "06918967452301"), ("+987654321", "069189674523F1"), ("+2782913593", "06917228195339")])
    func smscField(number: String, hex: String) throws {
        #expect(Hex.encode(try AddressCodec.encodeSMSC(number)) == hex)
        var reader = ByteReader(try Hex.decode(hex))
        #expect(try AddressCodec.decodeSMSC(&reader)?.value == number)
    }

    @Test("no SMSC is 00")
    func noSMSC() throws {
        #expect(try AddressCodec.encodeSMSC(nil) == [0x00])
        var reader = ByteReader([0x00])
        #expect(try AddressCodec.decodeSMSC(&reader) == nil)
    }

    @Test(arguments: ["+33 6 12 34 56 78", "06.12.34.56.78", "(06) 12-34-56-78"])
    func separatorsIgnored(number: String) throws {
        let digits = try AddressCodec.dialable(number).digits
        #expect(digits.count == (number.hasPrefix("+") ? 11 : 10))
    }

    @Test("national numbers use type 0x81 by default, 0xA1 on request")
    func nationalType() throws {
        #expect(try AddressCodec.encodeNumber("0612345678")[1] == 0x81)
        #expect(try AddressCodec.encodeNumber("0612345678", nationalType: SMSAddress.nationalType)[1] == 0xA1)
        #expect(try AddressCodec.encodeNumber("+33612345678")[1] == 0x91)
    }

    @Test(arguments: ["", "Nom trop long pour un SMS", "Émoji 😀"])
    func invalidAlphanumericSender(name: String) {
        #expect(throws: CodecError.self) { _ = try AddressCodec.encodeAlphanumeric(name) }
    }
}
