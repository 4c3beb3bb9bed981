#!/bin/sh
# What `smsagent run` costs the machine around the modem: fsyncs between two AT+CMGS on the send
# path, and CPU and wake-ups while idle. One simulated modem on a pseudo-terminal
# (`smsagent simulate`), real files in a throw-away data directory.
# Needs: strace; `swift build` (BIN=.build/release after `swift build -c release` for release figures).
# Usage: sh Benchmarks/syscalls.sh [idle-seconds]     (default 20; KEEP=1 keeps the directory)
set -eu
IDLE=${1:-20}
BIN=${BIN:-.build/debug}
ROOT=$(mktemp -d /tmp/smsagent-syscalls.XXXXXX)
trap 'pkill -TERM -f "smsagent run --config $ROOT" 2>/dev/null || true; sleep 0.5; [ -n "${KEEP:-}" ] || rm -rf "$ROOT"' EXIT

# The simulator lives while its stdin is open.
(sleep $((IDLE + 30)) | "$BIN/smsagent" simulate --link "$ROOT/modem" >"$ROOT/sim.out" 2>"$ROOT/sim.err") &
i=0; while [ ! -e "$ROOT/modem" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

cat >"$ROOT/agent.yaml" <<EOF
data_directory: $ROOT/data
log_level: notice
sender: { brand: "Bench" }
modems:
  discovery: false
  throttle: { min_interval: 0s, daily_cap: 0 }
  devices:
    - { name: a, path: $ROOT/modem }
compliance: { quiet_hours: none }
credits: { opening_balance: 100000 }
EOF

# Six messages of 1, 1, 1, 2, 2, 2 parts, queued before the agent starts.
for i in 1 2 3 4 5 6; do
  text="Message $i"
  [ $i -gt 3 ] && text="$text $(printf 'x%.0s' $(seq 1 170))"
  "$BIN/smsagent" send --config "$ROOT/agent.yaml" --to "+3361234560$i" --text "$text" --class notification >/dev/null
done

strace -f -e trace=fsync,fdatasync,write -o "$ROOT/agent.trace" "$BIN/smsagent" run --config "$ROOT/agent.yaml" 2>"$ROOT/agent.log" &
i=0; while [ "$(ls "$ROOT/data/outbox/sent" 2>/dev/null | wc -l)" -lt 6 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1

# fsyncs between consecutive AT+CMGS: "between parts" when the next is the same message's, else "between messages".
awk '
  /write\(.*AT\+CMGS=/ { if (seen) counts = counts " " n; seen = 1; n = 0; next }
  /fsync\(|fdatasync\(/ && !/resumed/ { if (seen) n++ }
  END { print "fsyncs between consecutive AT+CMGS (in send order):" counts }
' "$ROOT/agent.trace"

# Idle: a fresh agent without strace, measured after it has settled.
pkill -TERM -f "^$BIN/smsagent run --config $ROOT/agent.yaml" 2>/dev/null || true
i=0; while pgrep -f "^$BIN/smsagent run --config $ROOT/agent.yaml" >/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
"$BIN/smsagent" run --config "$ROOT/agent.yaml" 2>>"$ROOT/agent.log" &
PID=$!
sleep 5
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# Per thread, so that a worker thread libdispatch retires meanwhile does not make the sum go down.
switches() { for t in /proc/"$PID"/task/*; do echo "${t##*/} $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status" 2>/dev/null)"; done; }
t0=$(ticks); switches >"$ROOT/s0"
sleep "$IDLE"
t1=$(ticks); switches >"$ROOT/s1"
hz=$(getconf CLK_TCK)
woke=$(awk 'NR == FNR { before[$1] = $2; next } ($1 in before) { n += $2 - before[$1] } END { print n + 0 }' "$ROOT/s0" "$ROOT/s1")
echo "idle ${IDLE} s: CPU $(( (t1 - t0) * 1000 / hz )) ms, $woke wake-ups (voluntary context switches of the threads alive throughout)"
