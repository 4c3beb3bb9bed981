#if canImport(Glibc)
import Glibc
#endif
import Compliance
import Foundation
import Records
import TestSupport

/// Large opt-out lists (issue 11): the real `smsagent` binary (next to this one, or `--smsagent
/// PATH`) against a data directory whose `optouts.csv` holds `--optouts` numbers — `optouts
/// import` of the whole list, `optouts check` of one number, `run` start-up to `READY=1` (wall
/// time and resident memory) — and, in this process, loading the registry and looking numbers up.
enum ListsBenchmark {
    static func run(_ arguments: Arguments, command: String) throws {
        let count = arguments.int("--optouts", 100_000)
        let binary = arguments.string("--smsagent") ?? siblingExecutable("smsagent")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no smsagent binary at \(binary): build it (swift build -c release --product smsagent) or pass --smsagent PATH")
        }
        let report = Report(name: "lists", command: command)
        let root = try makeTemporaryDirectory("smsagent-bench-lists")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data"
        let config = root + "/smsagent.yaml"
        try """
            data_directory: \(data)
            log_level: error
            sender: { brand: "Bench" }
            modems:
              discovery: false
              hotplug: false
              simulated:
                - { name: sim-a, own_number: "+33600000001" }
            compliance: { quiet_hours: none }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        report.line("\(count) opt-outs, data directory on \(root) (\(RecordsBenchmark.fileSystemType(root)))")

        // The list to import: national French mobile numbers, as a person's export would have them.
        var list = "phone\n"
        list.reserveCapacity(count * 12)
        var generator = SeededGenerator(seed: 11)
        var numbers = Set<Int>()
        while numbers.count < count { numbers.insert(Int.random(in: 0..<100_000_000, using: &generator)) }
        let ordered = numbers.sorted()
        for n in ordered { list += String(format: "06%08d\n", n) }
        try list.write(toFile: root + "/list.csv", atomically: true, encoding: .utf8)

        let imported = try Child.run(binary, ["optouts", "import", root + "/list.csv", "--config", config])
        guard imported.status == 0, imported.stdout.contains(": \(count) opted out") else {
            throw BenchError("optouts import failed (\(imported.status)): \(imported.stdout) \(imported.stderr)")
        }
        report.line("smsagent optouts import (\(count) numbers, one batch): \(seconds(imported.wall)), max RSS \(mb(imported.maxRSS))")
        report.figures["import_s"] = imported.wall
        report.figures["import_max_rss_mb"] = Double(imported.maxRSS) / 1_048_576

        let fileSize = (try? FileManager.default.attributesOfItem(atPath: data + "/optouts.csv")[.size] as? Int) ?? 0
        report.line("  optouts.csv: \(fileSize / 1000) kB")

        var checks = [Child.Outcome]()
        for k in 0..<3 {
            let asked = String(format: "06%08d", ordered[(k * 7919) % ordered.count])
            let checked = try Child.run(binary, ["optouts", "check", asked, "--config", config])
            guard checked.status == 1, checked.stdout.contains("opted out since") else {
                throw BenchError("optouts check \(asked) should exit 1 (opted out): \(checked.status) \(checked.stdout) \(checked.stderr)")
            }
            checks.append(checked)
        }
        guard let check = checks.min(by: { $0.wall < $1.wall }) else { throw BenchError("no check ran") }
        report.line("smsagent optouts check (one number), best of 3: \(seconds(check.wall)), max RSS \(mb(check.maxRSS))")
        report.figures["check_s"] = check.wall
        report.figures["check_max_rss_mb"] = Double(check.maxRSS) / 1_048_576

        var starts = [Child.Started]()
        for _ in 0..<3 { starts.append(try Child.startUntilReady(binary, ["run", "--config", config], directory: root)) }
        guard let start = starts.min(by: { $0.wall < $1.wall }) else { throw BenchError("no start ran") }
        report.line("smsagent run, start to READY=1 (one in-process simulated modem), best of 3: \(seconds(start.wall)), RSS then \(mb(start.rss)) (peak \(mb(start.peakRSS)))")
        report.figures["run_ready_s"] = start.wall
        report.figures["run_rss_mb"] = Double(start.rss) / 1_048_576
        report.figures["run_peak_rss_mb"] = Double(start.peakRSS) / 1_048_576

        // In this process: the registry itself.
        var loads = [Double]()
        var registry: FileOptOutRegistry?
        for _ in 0..<3 {
            registry = nil
            let begin = monotonicSeconds()
            registry = try FileOptOutRegistry(path: data + "/optouts.csv", logger: quietLogger())
            loads.append(monotonicSeconds() - begin)
        }
        guard let registry, try registry.optedOutCount() == count else { throw BenchError("the registry does not hold \(count) opt-outs") }
        report.line("FileOptOutRegistry load of \(count) rows, best of 3: \(ms(loads.min() ?? 0))")
        report.figures["registry_load_ms"] = (loads.min() ?? 0) * 1000
        var lookups = [Double]()
        for k in 0..<20_000 {
            let number = try PhoneNumber.parse(String(format: "+336%08d", ordered[(k * 31) % ordered.count] + (k % 2)), defaultCountry: "FR")
            let begin = monotonicSeconds()
            _ = try registry.isOptedOut(number)
            lookups.append(monotonicSeconds() - begin)
        }
        let lookup = Distribution(lookups)
        report.line("isOptedOut with \(count) numbers (half present): \(lookup.millisecondsSummary)")
        report.figures["lookup"] = lookup.json
        report.emit(json: arguments.json)
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
    static func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}

/// The path of an executable built beside this benchmark (`.build/release/<name>`).
func siblingExecutable(_ name: String) -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
}

/// Child processes of the benchmarks, with their wall time and memory (`wait4`'s rusage).
enum Child {
    struct Outcome {
        var status: Int32
        var wall: Double
        var maxRSS: Int
        var stdout: String
        var stderr: String
    }

    struct Started {
        var wall: Double
        var rss: Int
        var peakRSS: Int
    }

    /// Runs to completion; stdout and stderr go through files (no pipe to drain).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let directory = try makeTemporaryDirectory("smsagent-bench-child")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let begin = monotonicSeconds()
        let pid = try spawn(executable, arguments, stdout: directory + "/out", stderr: directory + "/err", environment: environment)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4: errno \(errno)") }
        }
        let wall = monotonicSeconds() - begin
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exit, wall: wall, maxRSS: usage.ru_maxrss * 1024,
                       stdout: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
    }

    /// Starts a service with `NOTIFY_SOCKET` set, waits for `READY=1`, reads its memory, stops it
    /// with SIGTERM and waits for it.
    static func startUntilReady(_ executable: String, _ arguments: [String], directory: String,
                                timeout: Double = 30) throws -> Started {
        let socketPath = directory + "/notify-\(UInt32.random(in: 0...UInt32.max))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: errno \(errno)") }
        defer { close(fd); unlink(socketPath) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BenchError("socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw BenchError("bind \(socketPath): errno \(errno)") }
        let begin = monotonicSeconds()
        let pid = try spawn(executable, arguments, stdout: directory + "/run.out", stderr: directory + "/run.err",
                            environment: ["NOTIFY_SOCKET": socketPath])
        var ready = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !ready {
            let left = timeout - (monotonicSeconds() - begin)
            guard left > 0 else {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
                let log = (try? String(contentsOfFile: directory + "/run.err", encoding: .utf8)) ?? ""
                throw BenchError("\(executable) \(arguments.joined(separator: " ")): no READY=1 within \(Int(timeout)) s\n\(log)")
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(left, 1) * 1000)) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { ready = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").contains("READY=1") }
        }
        let wall = monotonicSeconds() - begin
        let memory = residentMemory(of: pid)
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return Started(wall: wall, rss: memory.rss, peakRSS: memory.peak)
    }

    /// VmRSS and VmHWM of a process, in bytes.
    static func residentMemory(of pid: pid_t) -> (rss: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func value(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty }.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0) * 1024
        }
        return (value("VmRSS"), value("VmHWM"))
    }

    static func spawn(_ executable: String, _ arguments: [String], stdout: String, stderr: String,
                      environment: [String: String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw BenchError("posix_spawn \(executable): errno \(result)") }
        return pid
    }
}
