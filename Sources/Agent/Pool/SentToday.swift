import Foundation
import Records

/// What each modem already sent today, read from the ledger: the daily cap survives a restart,
/// and an estimate of when a campaign finishes counts what the SIMs have left today.
public enum SentToday {
    /// SMS (segments) per modem (the ledger's `modem` column) since midnight in `timeZone`.
    /// Empty when the ledger cannot be read.
    public static func segmentsPerModem(ledger: any CreditLedger, now: Date, timeZone: TimeZone) -> [String: Int] {
        guard let rows = try? ledger.rows() else { return [:] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: now)
        var segments: [String: Int] = [:]
        for row in rows where row.part != nil && row.time >= today {
            segments[row.modem, default: 0] += row.segments
        }
        return segments
    }
}
