#!/usr/bin/env bash
# The pure-layer fuzz targets (pdu, at) built with swiftc alone: SMSCodec + ATProtocol + the
# targets as one module, no SwiftPM, no dependencies — minutes instead of the full instrumented
# build of Fuzz/run.sh. Same target code (Sources/smsagent-fuzz/PureFuzzTargets.swift).
#
#   Fuzz/quick.sh {pdu|at} SECONDS [libFuzzer options]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: $0 {pdu|at} SECONDS}"
seconds="${2:-30}"
shift 2 || shift $#
case "$target" in pdu|at) ;; *) echo "quick.sh fuzzes pdu or at; use Fuzz/run.sh for the others" >&2; exit 2 ;; esac
out=.build/fuzz-quick
mkdir -p "$out" ".build/fuzz-corpus/$target" ".build/fuzz-artifacts/$target"
cat > "$out/main.swift" <<'SWIFT'
import Foundation
enum FuzzTargets {}
let selected: ([UInt8]) -> Void = ProcessInfo.processInfo.environment["SMSAGENT_FUZZ_TARGET"] == "at" ? FuzzTargets.at : FuzzTargets.pdu
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
SWIFT
if [ ! -x "$out/quick" ] || [ -n "$(find Sources/SMSCodec Sources/ATProtocol Sources/smsagent-fuzz/PureFuzzTargets.swift -newer "$out/quick" -name '*.swift')" ]; then
    echo "== building $out/quick" >&2
    swiftc -O -wmo -parse-as-library -sanitize=fuzzer -module-name FuzzQuick -o "$out/quick" "$out/main.swift" \
        Sources/smsagent-fuzz/PureFuzzTargets.swift $(find Sources/SMSCodec Sources/ATProtocol -name '*.swift' | sort)
fi
SMSAGENT_FUZZ_TARGET="$target" "$out/quick" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix=".build/fuzz-artifacts/$target/" "$@" ".build/fuzz-corpus/$target" "Fuzz/corpus/$target"
