#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (the Swift toolchain's -sanitize=fuzzer).
#
#   Fuzz/run.sh TARGET SECONDS [extra libFuzzer options]   # TARGET: pdu at spool csv config, or all
#   Fuzz/run.sh build                                       # only build the instrumented binary
#
# The instrumented build lives in .build/fuzz (release, every Swift module instrumented). Each run
# starts from the committed seeds (Fuzz/corpus/TARGET) plus what earlier runs found
# (.build/fuzz-corpus/TARGET, not committed). A crash, leak or timeout stops the run with a non-zero
# status and leaves its input in .build/fuzz-artifacts/TARGET/; replay it with a normal build:
#   swift run smsagent-fuzz TARGET .build/fuzz-artifacts/TARGET/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(pdu at spool csv config)
build() {
    swift build -c release --product smsagent-fuzz --build-path .build/fuzz \
        -Xswiftc -sanitize=fuzzer -Xswiftc -DSMSAGENT_FUZZING >&2
}
binary() { echo ".build/fuzz/release/smsagent-fuzz"; }

case "${1:-}" in
    build) build; exit 0 ;;
    all) list=("${targets[@]}") ;;
    pdu|at|spool|csv|config) list=("$1") ;;
    *) echo "usage: $0 {build|all|${targets[*]// /|}} SECONDS [libFuzzer options]" >&2; exit 2 ;;
esac
seconds="${2:-30}"
shift 2 || shift $#
build
for target in "${list[@]}"; do
    work=".build/fuzz-corpus/$target"
    artifacts=".build/fuzz-artifacts/$target/"
    mkdir -p "$work" "$artifacts"
    echo "== fuzzing $target for ${seconds}s" >&2
    # -rss_limit_mb and -timeout: a slow or memory-hungry input is a finding, like a crash.
    "$(binary)" "$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$@" "$work" "Fuzz/corpus/$target"
done
