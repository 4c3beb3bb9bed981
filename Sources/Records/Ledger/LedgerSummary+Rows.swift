import Foundation

extension LedgerSummary {
    /// Totals of the rows with a part number (adjustments excluded), grouped and sorted by key.
    package static func summarize(_ rows: [LedgerRow], by grouping: LedgerGrouping, timeZone: TimeZone) -> [LedgerSummary] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var groups: [String: (ids: Set<String>, segments: Int, credits: Int)] = [:]
        for row in rows where row.part != nil {
            let key: String
            switch grouping {
            case .day:
                let c = calendar.dateComponents([.year, .month, .day], from: row.time)
                key = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
            case .class: key = row.messageClass.isEmpty ? "-" : row.messageClass
            case .modem: key = row.modem.isEmpty ? "-" : row.modem
            case .kind: key = row.effectiveKind.rawValue
            }
            var group = groups[key] ?? ([], 0, 0)
            group.ids.insert(row.messageID)
            group.segments += row.segments
            group.credits += row.credits
            groups[key] = group
        }
        return groups.keys.sorted().compactMap { key in
            groups[key].map { LedgerSummary(key: key, messages: $0.ids.count, segments: $0.segments, credits: $0.credits) }
        }
    }
}
