import Foundation
import Testing
@testable import Records

@Suite struct CreditLedgerTests {
    let tmp = TemporaryDirectory("ledger")

    func ledger(opening: Int = 100) throws -> FileCreditLedger {
        try FileCreditLedger(path: tmp.file("credits.csv"), openingBalance: opening)
    }

    func part(_ id: String, _ part: Int, credits: Int = 1, modem: String = "sim0", cls: String = "marketing",
              at seconds: TimeInterval = 0) -> LedgerRow {
        LedgerRow(time: .fixed(seconds), messageID: id, recipient: "+33612345678", messageClass: cls, segments: 1,
                  credits: credits, modem: modem, refs: [part + 40], part: part)
    }

    @Test func commitsArePerPartAndIdempotent() throws {
        let l = try ledger()
        #expect(try l.commit(row: part("m1", 1)))
        #expect(try l.commit(row: part("m1", 2)))
        #expect(try !l.commit(row: part("m1", 1)))          // the same answer recorded again
        #expect(try l.balance() == 98)
        #expect(try ledger().balance() == 98)                // and across a restart
        #expect(try !ledger().commit(row: part("m1", 2)))
        #expect(try l.isCommitted(messageID: "m1", part: 2))
        #expect(try !l.isCommitted(messageID: "m1", part: 3))
    }

    @Test func writesTheDocumentedColumnsWithTheRunningBalance() throws {
        let l = try ledger(opening: 10)
        try l.commit(row: part("m1", 1, credits: 2))
        try l.commit(row: part("m1", 2, credits: 2))
        #expect(try tmp.read("credits.csv") == """
            time,message_id,recipient,class,segments,credits,balance,modem,refs,part,kind
            2026-11-29T10:00:00.000Z,m1,+33612345678,marketing,1,2,8,sim0,41,1,message
            2026-11-29T10:00:00.000Z,m1,+33612345678,marketing,1,2,6,sim0,42,2,message

            """)
    }

    @Test func reservationsLimitWhatCanBeSpent() throws {
        let l = try ledger(opening: 5)
        try l.reserve(messageID: "a", credits: 3)
        #expect(try l.available() == 2)
        #expect(throws: RecordsError.insufficientCredits(available: 2, requested: 3)) {
            try l.reserve(messageID: "b", credits: 3)
        }
        try l.commit(row: part("a", 1))
        #expect(try l.balance() == 4)
        #expect(try l.available() == 2)                     // 2 still reserved for "a"
        l.release(messageID: "a")
        #expect(try l.available() == 4)
        try l.reserve(messageID: "b", credits: 3)
    }

    @Test func acceptedPartsAreCountedEvenBeyondTheBalance() throws {
        let l = try ledger(opening: 1)
        try l.commit(row: part("a", 1))
        try l.commit(row: part("a", 2))
        #expect(try l.balance() == -1)
    }

    @Test func topUpsAddCredits() throws {
        let l = try ledger(opening: 0)
        try l.topUp(credits: 50, note: "invoice 12", at: .fixed())
        #expect(try ledger(opening: 0).balance() == 50)
    }

    @Test func summariesByDayClassAndModem() throws {
        let l = try ledger()
        try l.commit(row: part("a", 1, modem: "sim0", cls: "marketing", at: 0))
        try l.commit(row: part("a", 2, modem: "sim0", cls: "marketing", at: 0))
        try l.commit(row: part("b", 1, modem: "sim1", cls: "notification", at: 86_400))
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(try l.summary(by: .day, timeZone: utc) == [
            LedgerSummary(key: "2026-11-29", messages: 1, segments: 2, credits: 2),
            LedgerSummary(key: "2026-11-30", messages: 1, segments: 1, credits: 1),
        ])
        #expect(try l.summary(by: .class, timeZone: utc).map(\.key) == ["marketing", "notification"])
        #expect(try l.summary(by: .modem, timeZone: utc).map(\.credits) == [2, 1])
    }

    @Test func malformedRowsFailWithTheirLines() throws {
        try tmp.write("credits.csv", """
            time,message_id,recipient,class,segments,credits,balance,modem,refs,part
            2026-11-29T10:00:00Z,m1,+33612345678,marketing,1,1,99,sim0,41,1
            2026-11-29T10:00:00Z,m1,+33612345678,marketing,one,1,98,sim0,42,2
            2026-11-29T10:00:00Z,m2,+33612345678,marketing,1,1,97,sim0,4x,1

            """)
        #expect {
            try ledger()
        } throws: { error in
            guard case let RecordsError.malformedFile(_, issues) = error else { return false }
            return issues.map(\.line) == [3, 4]
        }
    }

    @Test func aForeignHeaderIsRefused() throws {
        try tmp.write("credits.csv", "date,amount\n")
        #expect(throws: RecordsError.self) { try ledger() }
    }

    // MARK: kind (issue 14)

    @Test func eachRowSaysWhatItsCreditsPaidFor() throws {
        let l = try ledger(opening: 10)
        try l.commit(row: part("m1", 1))
        try l.commit(row: part("0-confirmation-abc", 1, cls: "notification"))
        try l.commit(row: part("0-help-def", 1, cls: "notification"))
        try l.commit(row: part("0-optin_ack-ghi", 1, cls: "notification"))
        try l.commit(row: LedgerRow(time: .fixed(0), messageID: "m2", recipient: "+33612345678", messageClass: "marketing",
                                    credits: 1, modem: "sim0", part: 1, kind: .confirmation))
        try l.topUp(credits: 5, note: "invoice 42", at: .fixed(0))
        #expect(try ledger().rows().map(\.kind) == [.message, .confirmation, .help, .optinAck, .confirmation, .topup])
        #expect(try tmp.read("credits.csv").split(separator: "\n").last?.hasSuffix(",topup") == true)
        let byKind = try ledger().summary(by: .kind, timeZone: .gmt)
        #expect(byKind.map(\.key) == ["confirmation", "help", "message", "optin_ack"])
        #expect(byKind.map(\.credits) == [2, 1, 1, 1])
        #expect(try ledger(opening: 10).balance() == 10 - 5 + 5)
    }

    @Test func aFileWrittenBeforeTheKindColumnIsReadAndExtended() throws {
        try tmp.write("credits.csv", """
            time,message_id,recipient,class,segments,credits,balance,modem,refs,part
            2026-11-29T10:00:00.000Z,m1,+33612345678,marketing,1,2,8,sim0,41,1
            2026-11-29T10:00:00.000Z,0-confirmation-abc,+33612345678,notification,1,1,7,sim0,42,1
            2026-11-29T10:00:00.000Z,topup,,,0,-5,12,,,

            """)
        let l = try ledger(opening: 10)
        #expect(try l.balance() == 12)
        #expect(try l.rows().map(\.kind) == [.message, .confirmation, .topup])
        try l.commit(row: part("m2", 1))
        #expect(try ledger(opening: 10).balance() == 11)
        #expect(try ledger().rows().last?.kind == .message)
        #expect(try ledger().summary(by: .kind, timeZone: .gmt).map(\.key) == ["confirmation", "message"])
    }

    @Test func anUnknownKindIsAMalformedRow() throws {
        try tmp.write("credits.csv", """
            time,message_id,recipient,class,segments,credits,balance,modem,refs,part,kind
            2026-11-29T10:00:00.000Z,m1,+33612345678,marketing,1,2,8,sim0,41,1,gift

            """)
        #expect(throws: RecordsError.self) { try ledger() }
    }
}
