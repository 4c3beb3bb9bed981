// Benchmarks (not tests): `swift build -c release --product smsagent-bench`, then
// `.build/release/smsagent-bench codec|modem|records|agent [options] [--json]`.
// Each prints its figures and the exact command that reproduces them.
import Foundation
import Logging

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .error
    return handler
}

let arguments = Array(CommandLine.arguments.dropFirst())
let which = arguments.first ?? "codec"
let options = Arguments(values: Array(arguments.dropFirst()))
let reproduce = "swift build -c release --product smsagent-bench && .build/release/smsagent-bench "
    + ([which] + options.values).joined(separator: " ")
let usage = """
    usage: smsagent-bench <benchmark> [options] [--json]
      codec                                   SMSCodec encode/decode throughput
      modem   [-n 2000]                       AT engine cost per AT+CMGS part (in memory, pty), zero latency
      records [-n 300] [--backlog 1000] [--optouts 100000]
                                              outbox/ledger/opt-out bookkeeping with real fsync
      shared-records [-n 2000] [--optout-probes 200] [--no-reservations]   (SMSAGENT_TEST_POSTGRES_URL)
                                              1, 2, 4 agents on one PostgreSQL database vs files; opt-out propagation
      agent   [-m 40] [--drops 50] [--idle 10] [--cmgs-ms 300] [--other-ms 20] [--modems 1]
                                              modem utilisation, intake latency, idle cost of the real agent
      lists   [--optouts 100000] [--smsagent PATH]
                                              opt-out list at scale: import, check, run start-up (real binary), registry load
      enqueue [-n 10000] [--smsagent PATH]    smsagent campaign of n rows, and the batch enqueue API
      deep-queue [--depth 100000] [-m 3000]   claims and agent dispatch rate with a deep outbox/new, modem at 0 ms
      pty-modem --link PATH [--parts 10] [--linger 30] [--cmgs-ms 300] [--other-ms 20] [--trace FILE]
                                              a timed simulated modem on a pty for other daemons (Benchmarks/peers.sh)
    """

do {
    switch which {
    case "codec":
        try codecBenchmark(reproduceCommand: reproduce)
    case "modem":
        try await ModemBenchmark.run(options, command: reproduce)
    case "records":
        try RecordsBenchmark.run(options, command: reproduce)
    case "agent":
        try await AgentBenchmark.run(options, command: reproduce)
    case "shared-records":
        try SharedRecordsBenchmark.run(options, command: reproduce)
    case "lists":
        try ListsBenchmark.run(options, command: reproduce)
    case "enqueue":
        try QueueBenchmark.enqueue(options, command: reproduce)
    case "deep-queue":
        try await QueueBenchmark.deepQueue(options, command: reproduce)
    case "pty-modem":
        try await PtyModemBenchmark.run(options, command: reproduce)
    case "-h", "--help", "help":
        print(usage)
    default:
        FileHandle.standardError.write(Data("unknown benchmark \"\(which)\"\n\(usage)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("benchmark \(which) failed: \(error)\n".utf8))
    exit(1)
}
