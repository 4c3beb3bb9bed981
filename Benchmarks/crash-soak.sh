#!/usr/bin/env bash
# The crash soak of issue 9, long version: the real `smsagent run` on a simulated modem over a
# pty, single and 3-part messages, inbound STOPs, SIGKILL at random points and in the ambiguous
# window, restart, settle, then every promise checked (Tests/EndToEndTests/CrashSoakTests.swift).
#
#   Benchmarks/crash-soak.sh [ROUNDS] [POLICY...]      (default: 200 rounds, every policy)
#
# Prints one line per policy: rounds, messages, parts on the network, ledger rows, and the
# counts that must be zero (half_sent, duplicates, lost, assumed_unwritten).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
shift || true
policies=("$@")
[ ${#policies[@]} -eq 0 ] && policies=(assume-sent resend fail)
swift build --build-tests >/dev/null
for policy in "${policies[@]}"; do
    log=$(mktemp)
    if SMSAGENT_SOAK_ROUNDS=$rounds SMSAGENT_SOAK_POLICY=$policy \
        swift test --skip-build --filter CrashSoakTests >"$log" 2>&1; then verdict=pass; else verdict=FAIL; fi
    line=$(grep -o 'crash-soak: .*' "$log" | head -1 || true)
    echo "$verdict ${line:-crash-soak: policy=$policy (no summary; see $log)}"
    [ "$verdict" = pass ] && rm -f "$log"
done
