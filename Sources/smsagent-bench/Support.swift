import Foundation
import TestSupport

/// Monotonic seconds (CLOCK_MONOTONIC), for intervals only.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Summary of a sample of durations (seconds).
struct Distribution: Sendable {
    var count: Int
    var mean: Double
    var p50: Double
    var p99: Double
    var min: Double
    var max: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            // Nearest rank.
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
        }
        p50 = quantile(0.50)
        p99 = quantile(0.99)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }

    /// `mean 0.21 ms, p50 0.19 ms, p99 0.48 ms`
    var millisecondsSummary: String {
        "mean \(ms(mean)), p50 \(ms(p50)), p99 \(ms(p99)), max \(ms(max))"
    }

    var json: [String: Any] {
        ["count": count, "mean_ms": mean * 1000, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000,
         "min_ms": min * 1000, "max_ms": max * 1000]
    }
}

func ms(_ seconds: Double) -> String {
    let v = seconds * 1000
    if v >= 100 { return String(format: "%.0f ms", v) }
    if v >= 10 { return String(format: "%.1f ms", v) }
    return String(format: "%.3f ms", v)
}

func percent(_ fraction: Double) -> String { String(format: "%.1f %%", fraction * 100) }

/// What a benchmark prints: human lines, or one JSON object with `--json`.
final class Report {
    let name: String
    let command: String
    private(set) var lines: [String] = []
    var figures: [String: Any] = [:]

    init(name: String, command: String) {
        self.name = name
        self.command = command
    }

    func line(_ text: String) { lines.append(text) }

    func emit(json: Bool) {
        if json {
            var object = figures
            object["benchmark"] = name
            object["reproduce"] = command
            object["machine"] = machineDescription()
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]),
               let text = String(data: data, encoding: .utf8) {
                print(text)
            }
        } else {
            for line in lines { print(line) }
            print("machine: \(machineDescription())")
            print("reproduce: \(command)")
        }
    }
}

func machineDescription() -> String {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return "\(cores) cores (shared VM), release build, \(ProcessInfo.processInfo.operatingSystemVersionString), load average \(loadAverage())"
}

/// The 1-minute load average (/proc/loadavg): other jobs on this shared VM disturb timings.
func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
    return String(text.split(separator: " ").first ?? "?")
}

/// CPU time and context switches of this process (all threads), from getrusage(RUSAGE_SELF).
struct ResourceUsage {
    var userSeconds: Double
    var systemSeconds: Double
    var voluntarySwitches: Int
    var involuntarySwitches: Int

    static func now() -> ResourceUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return ResourceUsage(userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime),
                             voluntarySwitches: Int(usage.ru_nvcsw), involuntarySwitches: Int(usage.ru_nivcsw))
    }

    static func - (a: ResourceUsage, b: ResourceUsage) -> ResourceUsage {
        ResourceUsage(userSeconds: a.userSeconds - b.userSeconds, systemSeconds: a.systemSeconds - b.systemSeconds,
                      voluntarySwitches: a.voluntarySwitches - b.voluntarySwitches,
                      involuntarySwitches: a.involuntarySwitches - b.involuntarySwitches)
    }
}

/// A fresh directory on the machine's real file system (so fsync is real).
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}


/// `--name value` from the arguments, or the default.
struct Arguments {
    var values: [String]
    var json: Bool { values.contains("--json") }

    func int(_ name: String, _ fallback: Int) -> Int {
        guard let i = values.firstIndex(of: name), i + 1 < values.count, let v = Int(values[i + 1]) else { return fallback }
        return v
    }

    func string(_ name: String) -> String? {
        guard let i = values.firstIndex(of: name), i + 1 < values.count else { return nil }
        return values[i + 1]
    }

    func double(_ name: String, _ fallback: Double) -> Double {
        guard let i = values.firstIndex(of: name), i + 1 < values.count, let v = Double(values[i + 1]) else { return fallback }
        return v
    }
}

/// Voluntary context switches per thread (/proc/self/task/*/status), keyed by "tid name".
func threadSwitches() -> [String: Int] {
    var result = [String: Int]()
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return result }
    for tid in tasks {
        let base = "/proc/self/task/\(tid)/"
        guard let status = try? String(contentsOfFile: base + "status", encoding: .utf8) else { continue }
        let name = ((try? String(contentsOfFile: base + "comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches:") {
            result["\(tid) \(name)"] = Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        }
    }
    return result
}
