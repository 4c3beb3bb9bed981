import Testing
@testable import Compliance
import TestSupport


@Suite("Robustness")
struct RobustnessTests {
    static let alphabet: [Character] = Array("0123456789 +-.()/*#ABCabcéÉ😀\u{00A0}\u{0301}٠٦") + ["00", "(0)", "+33", "\n"].flatMap { Array($0) }

    /// Outside data (a CSV column, a spool file) never traps the parser: it throws or gives a valid
    /// E.164 number that parses back to itself.
    @Test("random inputs parse to valid E.164 or throw", arguments: [1, 2, 3, 4])
    func phoneNumberFuzz(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...24, using: &random)
            let raw = String((0..<length).map { _ in Self.alphabet.randomElement(using: &random) ?? "0" })
            let country = ["FR", "US", "GB", "RE", "IT", "XX"].randomElement(using: &random) ?? "FR"
            guard let number = try? PhoneNumber.parse(raw, defaultCountry: country) else { continue }
            #expect(number.e164.hasPrefix("+"))
            let allDigits = number.e164.dropFirst().allSatisfy { $0.isASCIIDigit }
            #expect(allDigits, "\(raw)")
            #expect(number.e164.count <= 16, "\(raw)")   // E.164 §6.1: at most 15 digits
            let reparsed = try? PhoneNumber(e164: number.e164)
            #expect(reparsed == number, "\(raw)")
        }
    }

    @Test("random texts never trap the keyword matcher, and normalised opt-outs stay opt-outs", arguments: [7, 8])
    func keywordFuzz(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let pieces = ["stop", "STOP", "Arrêt", " ", "!", "🛑", "👍🏽", "svp", "don't", "\u{200D}", "\u{FE0F}", "é", "\n", "sms", "opt", "-", "out"]
        let matcher = KeywordMatcher()
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
            let match = matcher.classify(text)
            // Decorating an opt-out with emoji and punctuation never changes it.
            if case .optOut(let keyword) = match {
                #expect(matcher.classify("🛑 " + text + " !!") == .optOut(keyword: keyword), "\(text)")
            }
        }
    }
}
