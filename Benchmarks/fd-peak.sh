#!/usr/bin/env bash
# The peak number of open descriptors of the test process during `swift test --no-parallel`.
# Foundation's Process.run uses select(), which cannot take a descriptor of 1024 or more: a test
# process that leaks descriptors crashes once it passes that line (README "Tests").
#
#   Benchmarks/fd-peak.sh                      # the whole suite (after `swift build --build-tests`)
#   Benchmarks/fd-peak.sh --filter SimulatorTests
#
# Prints the test run's summary, then `fd peak: N (test process PID)`. Linux only (/proc).
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
swift test --no-parallel --skip-build "$@" >"$log" 2>&1 &
runner=$!

descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}

peak=0
pid=""
while kill -0 "$runner" 2>/dev/null; do
    if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then
        # The test binary (xctest bundle, or the swift-testing helper that hosts it) among this
        # run's descendants (other worktrees may run tests at the same time).
        pid=$(descendants "$runner" | while read -r p; do
            grep -qaE 'PackageTests\.xctest|swiftpm-testing-helper' "/proc/$p/cmdline" 2>/dev/null && echo "$p"
        done | tail -n 1)
    fi
    if [ -n "$pid" ]; then
        n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
        [ "$n" -gt "$peak" ] && peak=$n
    fi
    sleep 0.1
done
wait "$runner"
status=$?
grep -E "Test run with|Executed [0-9]+ tests|✘|error:" "$log" | tail -n 20
echo "fd peak: $peak (test process ${pid:-not found}), swift test exit $status"
rm -f "$log"
exit $status
