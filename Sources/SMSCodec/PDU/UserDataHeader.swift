/// One information element of a user data header (TS 23.040 §9.2.3.24).
public struct InformationElement: Sendable, Codable, Equatable, Hashable {
    public var identifier: UInt8
    public var data: [UInt8]

    public init(identifier: UInt8, data: [UInt8]) {
        self.identifier = identifier
        self.data = data
    }

    /// IEI 0x00: concatenated short messages, 8-bit reference (§9.2.3.24.1).
    public static let concatenation8Bit: UInt8 = 0x00
    /// IEI 0x08: concatenated short messages, 16-bit reference (§9.2.3.24.8).
    public static let concatenation16Bit: UInt8 = 0x08
    /// IEI 0x24: national language single shift (§9.2.3.24.15).
    public static let nationalSingleShift: UInt8 = 0x24
    /// IEI 0x25: national language locking shift (§9.2.3.24.16).
    public static let nationalLockingShift: UInt8 = 0x25
}

/// Where a part sits in a concatenated message.
public struct ConcatenationInfo: Sendable, Codable, Equatable, Hashable {
    public var reference: Int
    public var total: Int
    /// 1-based.
    public var sequence: Int
    /// IEI 0x08 (16-bit reference) rather than 0x00.
    public var sixteenBitReference: Bool

    public init(reference: Int, total: Int, sequence: Int, sixteenBitReference: Bool = false) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
        self.sixteenBitReference = sixteenBitReference
    }
}

/// A parsed user data header.
public struct UserDataHeader: Sendable, Codable, Equatable {
    public var elements: [InformationElement]

    public init(elements: [InformationElement]) {
        self.elements = elements
    }

    /// Octets including the UDHL octet.
    public var encoded: [UInt8] {
        var body = [UInt8]()
        for e in elements {
            body.append(e.identifier)
            body.append(UInt8(e.data.count))
            body += e.data
        }
        return [UInt8(body.count)] + body
    }

    /// The concatenation element (IEI 00 or 08). An element whose total or sequence is 0, or whose
    /// sequence exceeds its total, is ignored as TS 23.040 §9.2.3.24.1 requires.
    public var concatenation: ConcatenationInfo? {
        for e in elements {
            if e.identifier == InformationElement.concatenation8Bit, e.data.count == 3 {
                return Self.validated(reference: Int(e.data[0]), total: Int(e.data[1]), sequence: Int(e.data[2]), wide: false)
            }
            if e.identifier == InformationElement.concatenation16Bit, e.data.count == 4 {
                return Self.validated(
                    reference: Int(e.data[0]) << 8 | Int(e.data[1]), total: Int(e.data[2]), sequence: Int(e.data[3]), wide: true)
            }
        }
        return nil
    }

    private static func validated(reference: Int, total: Int, sequence: Int, wide: Bool) -> ConcatenationInfo? {
        guard total > 0, sequence > 0, sequence <= total else { return nil }
        return ConcatenationInfo(reference: reference, total: total, sequence: sequence, sixteenBitReference: wide)
    }

    /// National language identifier of the single shift table (IEI 0x24), if signalled.
    public var singleShiftLanguage: UInt8? {
        elements.first { $0.identifier == InformationElement.nationalSingleShift && $0.data.count == 1 }?.data[0]
    }

    /// National language identifier of the locking shift table (IEI 0x25), if signalled.
    public var lockingShiftLanguage: UInt8? {
        elements.first { $0.identifier == InformationElement.nationalLockingShift && $0.data.count == 1 }?.data[0]
    }

    /// Parses `octets` (the UDHL octet first). The elements must fill the header exactly.
    public static func parse(_ octets: [UInt8]) throws -> UserDataHeader {
        guard let udhl = octets.first else { throw CodecError.invalidUserDataHeader(reason: "empty") }
        guard Int(udhl) + 1 <= octets.count else {
            throw CodecError.invalidUserDataHeader(reason: "header length \(udhl) exceeds the user data")
        }
        var elements = [InformationElement]()
        var i = 1
        let end = Int(udhl) + 1
        while i < end {
            guard i + 1 < end else { throw CodecError.invalidUserDataHeader(reason: "element at octet \(i) has no length") }
            let iei = octets[i]
            let length = Int(octets[i + 1])
            guard i + 2 + length <= end else {
                throw CodecError.invalidUserDataHeader(reason: "element 0x\(Hex.byte(iei)) overruns the header")
            }
            elements.append(InformationElement(identifier: iei, data: Array(octets[(i + 2)..<(i + 2 + length)])))
            i += 2 + length
        }
        return UserDataHeader(elements: elements)
    }

    /// The 8-bit-reference concatenation header for part `sequence` of `total` (§9.2.3.24.1).
    static func concatenation(reference: UInt8, total: Int, sequence: Int) -> UserDataHeader {
        UserDataHeader(elements: [
            InformationElement(
                identifier: InformationElement.concatenation8Bit, data: [reference, UInt8(total), UInt8(sequence)])
        ])
    }
}
