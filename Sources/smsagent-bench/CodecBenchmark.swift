// The SMSCodec throughput benchmark.
import SMSCodec

struct Workload {
    var name: String
    var text: String
}

let workloads = [
    Workload(name: "GSM single", text: "Bonjour ! Votre commande 4521 est disponible. Retrait possible dès demain 9h en magasin. STOP au 36111"),
    Workload(
        name: "GSM multipart",
        text: String(
            repeating: "Soldes d'hiver : -30% sur tout le rayon chaussures, -50% sur la deuxième paire [code HIVER]. ", count: 6)),
    Workload(
        name: "UCS-2 with emoji",
        text: String(repeating: "Merci pour votre fidélité 🎉 À très bientôt ! 👍🏽 l’équipe ", count: 4)),
]

/// Runs `body` (which returns the number of segments it handled) for at least `seconds`; segments/s.
func measure(seconds: Double = 1.0, _ body: () throws -> Int) rethrows -> Double {
    let clock = ContinuousClock()
    var segments = 0
    var elapsed = Duration.zero
    // Warm-up.
    for _ in 0..<100 { _ = try body() }
    let measured = clock.now
    while elapsed < .seconds(seconds) {
        for _ in 0..<200 { segments += try body() }
        elapsed = clock.now - measured
    }
    let c = elapsed.components
    return Double(segments) / (Double(c.seconds) + Double(c.attoseconds) / 1e18)
}

func formatted(_ value: Double) -> String {
    let rounded = Int(value.rounded())
    var digits = String(rounded)
    var groups = [String]()
    while digits.count > 3 {
        groups.insert(String(digits.suffix(3)), at: 0)
        digits = String(digits.dropLast(3))
    }
    groups.insert(digits, at: 0)
    return groups.joined(separator: " ")
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func codecBenchmark(reproduceCommand: String) throws {
    print("SMSCodec throughput (segments/second, one core, best of 3 rounds)")
    print(pad("text", 18) + pad("encoding", 10) + pad("segments", 10) + pad("encode", 14) + "decode")
    for workload in workloads {
        let plan = SegmentPlanner.plan(workload.text)
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: workload.text)
        let delivers = try SMSDeliverEncoder.encode(
            from: "+33612345678", text: workload.text, timestamp: .init(timeIntervalSince1970: 1_764_410_400),
            timeZoneOffsetMinutes: 60)
        // Best of three rounds: the machine may be shared, and the best round is the least disturbed.
        var encodeRate = 0.0, decodeRate = 0.0
        for _ in 0..<3 {
            encodeRate = max(encodeRate, try measure(seconds: 0.5) {
                try SMSSubmitEncoder.encode(to: "+33612345678", text: workload.text).count
            })
            decodeRate = max(decodeRate, try measure(seconds: 0.5) {
                var n = 0
                for hex in delivers {
                    if case .deliver = try PDUDecoder.decode(hex: hex) { n += 1 }
                }
                return n
            })
        }
        print(
            pad(workload.name, 18) + pad(plan.encoding.rawValue, 10) + pad(String(pdus.count), 10)
                + pad(formatted(encodeRate), 14) + formatted(decodeRate))
    }
    print("encode = plan + SMS-SUBMIT PDUs as hex; decode = hex SMS-DELIVER → text (SMSC field included)")
    print("reproduce: \(reproduceCommand)")
}

