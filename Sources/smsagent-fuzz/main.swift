// Coverage-guided fuzzing of everything that reads outside input (issue 9 "Proof").
//
// Built by `Fuzz/run.sh` (`-sanitize=fuzzer -DSMSAGENT_FUZZING`), this binary hands one target to
// libFuzzer's driver (`LLVMFuzzerRunDriver`). Built normally (`swift build`), it replays the files
// it is given through the same target, once each: that is how a crash file or the seed corpus is
// re-run without the fuzzing toolchain.
//
//   smsagent-fuzz TARGET [libFuzzer options…] [CORPUS_DIR…]
#if canImport(Glibc)
import Glibc
#endif
import Agent
import ATProtocol
import Foundation
import Records
import SMSCodec

typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

#if SMSAGENT_FUZZING
/// libFuzzer's entry point for programs that have their own `main` (from libclang_rt.fuzzer).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ testOneInput: TestOneInput) -> Int32
#endif

let targets: [String: ([UInt8]) -> Void] = [
    "pdu": FuzzTargets.pdu,
    "at": FuzzTargets.at,
    "spool": FuzzTargets.spool,
    "csv": FuzzTargets.csv,
    "config": FuzzTargets.config,
]

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = targets[arguments[1]] else {
    FileHandle.standardError.write(Data("usage: smsagent-fuzz {\(targets.keys.sorted().joined(separator: "|"))} [libFuzzer options] [corpus…]\n".utf8))
    exit(2)
}
nonisolated(unsafe) var selected: ([UInt8]) -> Void = target

/// Also exported under libFuzzer's name: the toolchain links libFuzzer's own `main` (whose
/// reference to this symbol must resolve), while SwiftPM's `--defsym main=…` keeps ours.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { selected([]); return 0 }
    selected(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

let testOneInput: TestOneInput = { data, size in fuzzerTestOneInput(data, size) }

#if SMSAGENT_FUZZING
// libFuzzer sees argv without the target name.
var cArguments: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + arguments.dropFirst(2)).map { strdup($0) } + [nil]
var argc = Int32(cArguments.count - 1)
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}
exit(status)
#else
// Replay mode: every file given (or every file of every folder given), once.
var replayed = 0
for path in arguments.dropFirst(2) where !path.hasPrefix("-") {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
    let files = isDirectory.boolValue
        ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
        : [path]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        target(Array(data))
        replayed += 1
    }
}
print("replayed \(replayed) input(s) through \(arguments[1]) without a trap (not built with -sanitize=fuzzer: no fuzzing)")
#endif
