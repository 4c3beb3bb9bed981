/// Septet packing (TS 23.038 §6.1.2.1.1) with the fill bits a user data header requires
/// (TS 23.040 §9.2.3.24: the text starts on a septet boundary counted from the start of the UD).
public enum Septets {
    /// Packs 7-bit values into octets, least significant bits first, after `fillBits` zero bits.
    public static func pack(_ septets: [UInt8], fillBits: Int = 0) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((septets.count * 7 + fillBits + 7) / 8)
        var accumulator: UInt32 = 0
        var bits = fillBits
        for s in septets {
            accumulator |= UInt32(s & 0x7F) << UInt32(bits)
            bits += 7
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: accumulator)) }
        return out
    }

    /// Unpacks `count` septets from `octets`, skipping `fillBits` leading bits; nil if the octets are too few.
    public static func unpack<C: RandomAccessCollection>(_ octets: C, count: Int, fillBits: Int = 0) -> [UInt8]?
    where C.Element == UInt8, C.Index == Int {
        guard count >= 0, fillBits >= 0 else { return nil }
        let neededBits = fillBits + count * 7
        guard (neededBits + 7) / 8 <= octets.count else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(count)
        let base = octets.startIndex
        for i in 0..<count {
            let bit = fillBits + i * 7
            let index = base + bit / 8
            let shift = bit % 8
            var value = UInt16(octets[index]) >> UInt16(shift)
            if shift > 1 {
                value |= UInt16(octets[index + 1]) << UInt16(8 - shift)
            }
            out.append(UInt8(value & 0x7F))
        }
        return out
    }

    /// Number of octets that `septets` septets occupy after `fillBits` fill bits.
    public static func octetCount(septets: Int, fillBits: Int = 0) -> Int {
        (septets * 7 + fillBits + 7) / 8
    }
}
