import Foundation
import Testing

@Suite struct HarnessTests {
    @Test func theBinaryUnderTestIsFound() throws {
        let url = try SMSAgentBinary.url()
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test func csvParsesQuotedFields() {
        #expect(CSV.parse("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n") == [["a", "b"], ["x,1", "say \"hi\""]])
    }

    @Test func waitFailsWithWhatItWaitedFor() async {
        await #expect(throws: HarnessError.self) {
            try await Wait.until("never", timeout: .milliseconds(50)) { false }
        }
    }
}
