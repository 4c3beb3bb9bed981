import Compliance
import Foundation

/// How every opt-out registry — the files and the shared database alike — writes an event and
/// names a number, so that both backends store the same thing.
extension OptOutEvent {
    /// The event as a registry stores it: the number checked (E.164, or an `hmac:` identifier,
    /// which needs the key) and hashed in hashed mode, the SMS text cut to `textLimit` characters
    /// (0: none kept), the time to the millisecond (what the files and the database keep).
    package func storable(key: HMACKey?, storeHashed: Bool, textLimit: Int) throws -> OptOutEvent {
        var stored = self
        if HMACKey.isIdentifier(number) {
            guard key != nil else { throw RecordsError.invalidRecord("cannot record \(number): no HMAC key") }
        } else {
            let e164 = try E164.validated(number)
            if storeHashed, let key { stored.number = key.identifier(forE164: e164) }
        }
        stored.text = textLimit == 0 ? "" : String(text.prefix(textLimit))
        stored.recordedAt = Date(timeIntervalSince1970: (recordedAt.timeIntervalSince1970 * 1000).rounded() / 1000)
        return stored
    }

    /// How a registry writes `number`: its `hmac:` identifier in hashed mode, else its E.164 form.
    package static func storedIdentifier(for number: PhoneNumber, key: HMACKey?, storeHashed: Bool) -> String {
        if storeHashed, let key { return key.identifier(forE164: number.e164) }
        return number.e164
    }
}
