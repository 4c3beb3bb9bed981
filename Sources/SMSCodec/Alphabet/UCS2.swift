/// UCS-2 user data as networks actually carry it: big-endian UTF-16, characters outside the BMP
/// (emoji) as surrogate pairs (TS 23.038 §6.2.3 refers to ISO/IEC 10646; handsets send UTF-16).
public enum UCS2 {
    /// Big-endian UTF-16 octets of `text`.
    public static func encode(_ text: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 {
            out.append(UInt8(unit >> 8))
            out.append(UInt8(truncatingIfNeeded: unit))
        }
        return out
    }

    /// Code units of big-endian octets (an odd trailing octet is the caller's error to report).
    static func units<C: Collection>(_ octets: C) -> [UInt16] where C.Element == UInt8 {
        var out = [UInt16]()
        out.reserveCapacity(octets.count / 2)
        var iterator = octets.makeIterator()
        while let hi = iterator.next(), let lo = iterator.next() {
            out.append(UInt16(hi) << 8 | UInt16(lo))
        }
        return out
    }

    /// Text of UTF-16 units; an unpaired surrogate becomes U+FFFD (never a trap).
    static func text(units: [UInt16]) -> String {
        String(decoding: units, as: UTF16.self)
    }

    /// Text of big-endian UTF-16 octets.
    public static func decode<C: Collection>(_ octets: C) -> String where C.Element == UInt8 {
        text(units: units(octets))
    }
}
