import Foundation
import Testing
@testable import Records

@Suite struct ReassemblyStoreTests {
    let tmp = TemporaryDirectory("reassembly")

    func part(_ sequence: Int, of total: Int = 3, reference: Int = 7, at seconds: TimeInterval = 0) -> StoredInboundPart {
        StoredInboundPart(modem: "sim0", originator: "+33612345678", reference: reference, total: total,
                          sequence: sequence, pduHex: "0791\(sequence)", receivedAt: .fixed(seconds), simIndex: sequence)
    }

    @Test func partsSurviveARestartAndGoWhenRemoved() throws {
        let store = try FileReassemblyStore(directory: tmp.path)
        try store.save(part(2))
        try store.save(part(1))
        try store.save(part(1))    // re-listed: kept once
        let reloaded = try FileReassemblyStore(directory: tmp.path).all()
        #expect(reloaded.map(\.sequence).sorted() == [1, 2])
        #expect(Set(reloaded) == [part(1), part(2)])
        try store.remove(part(1).group)
        #expect(try store.all().isEmpty)
    }

    @Test func groupsAreKeptApart() throws {
        let store = try FileReassemblyStore(directory: tmp.path)
        try store.save(part(1, reference: 7))
        try store.save(part(1, reference: 8))
        try store.remove(part(1, reference: 7).group)
        #expect(try store.all().map(\.reference) == [8])
    }

    @Test func expiredGroupsAreThoseWhoseFirstPartIsOld() throws {
        let store = try FileReassemblyStore(directory: tmp.path)
        try store.save(part(1, reference: 1, at: 0))
        try store.save(part(2, reference: 1, at: 5000))
        try store.save(part(1, reference: 2, at: 5000))
        let expired = try store.expired(before: .fixed(3600))
        #expect(expired.count == 1)
        #expect(expired[part(1, reference: 1).group]?.map(\.sequence) == [1, 2])
    }

    @Test func anUnreadablePartIsSetAside() throws {
        let store = try FileReassemblyStore(directory: tmp.path)
        try tmp.write("broken-1.json", "{")
        try store.save(part(1))
        #expect(try store.all().count == 1)
        #expect(tmp.list("").contains("broken-1.json.bad"))
    }

    @Test func aSequenceOutsideTheTotalIsRefused() throws {
        let store = try FileReassemblyStore(directory: tmp.path)
        #expect(throws: RecordsError.self) { try store.save(part(4, of: 3)) }
    }
}
