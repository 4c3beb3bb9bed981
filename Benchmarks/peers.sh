#!/bin/sh
# How much of a modem's time an SMS daemon wastes with its shipped defaults, on one timed simulated
# modem (`smsagent-bench pty-modem`: AT+CMGS 300 ms, every other command 20 ms, generic profile,
# on a pseudo-terminal; the tap times each command from its line arriving to its final result).
# The same batch goes through smstools' smsd, gammu-smsd and `smsagent run`.
# Needs: `apt-get install smstools gammu-smsd` (on this machine only: never a project dependency) and
#        `swift build -c release --product smsagent-bench` and `swift build -c release --product smsagent`.
# Usage: sh Benchmarks/peers.sh [all|smstools|gammu|smsagent] [messages]     (default: all 40)
set -eu
WHICH=${1:-all}
M=${2:-40}
ROOT=/tmp/smsagent-peers
BIN=${BIN:-.build/release}
OTHER_MS=20
CMGS_MS=300

# The batch: same texts and part count as `smsagent-bench agent` (every 5th message has two parts).
make_batch() {  # $1 = folder, $2 = format (smstools|json)
  PARTS=0
  i=0
  while [ $i -lt $M ]; do
    n=$(printf '336%08d' $((10000000 + i * 7919)))
    if [ $((i % 5)) -eq 4 ]; then
      t=""
      for k in 1 2 3; do t="${t}Soldes d'hiver : -30% sur tout le rayon chaussures, code HIVER$i. "; done
      PARTS=$((PARTS + 2))
    else
      t="Bonjour, votre commande $((1000 + i)) est prete. Retrait des demain 9h en magasin."
      PARTS=$((PARTS + 1))
    fi
    f="$1/$(printf 'bench-%05d' $i)"
    if [ "$2" = none ]; then
      :
    elif [ "$2" = smstools ]; then
      printf 'To: %s\n\n%s\n' "$n" "$t" > "$f"
    else
      printf '{"to": "+%s", "text": "%s", "class": "notification"}\n' "$n" "$t" > "$f.json"
    fi
    i=$((i + 1))
  done
}

start_modem() {  # $1 = name
  "$BIN/smsagent-bench" pty-modem --link "$DIR/ttySIM0" --parts "$PARTS" --linger 30 --cmgs-ms $CMGS_MS \
      --other-ms $OTHER_MS --trace "$DIR/trace.txt" --json > "$DIR/modem.json" &
  MODEM=$!
  while [ ! -e "$DIR/ttySIM0" ]; do sleep 0.1; done
}

report() {  # $1 = name
  wait $MODEM || true
  kill $PEER 2>/dev/null || true
  wait $PEER 2>/dev/null || true
  FIRST=$(sed -n 's/.*"first_cmgs_epoch" : \([0-9.]*\).*/\1/p' "$DIR/modem.json")
  UTIL=$(sed -n 's/.*"utilisation" : \([0-9.]*\).*/\1/p' "$DIR/modem.json")
  PER=$(sed -n 's/.*"commands_per_part" : \([0-9.]*\).*/\1/p' "$DIR/modem.json")
  IDLE=$(sed -n 's/.*"idle_commands" : \([0-9]*\).*/\1/p' "$DIR/modem.json")
  echo "== $1: $M messages, $PARTS parts"
  printf '   modem busy with AT+CMGS %.1f %% of the time from first to last part (waiting for the host %.1f %%)\n' \
      "$(echo "$UTIL * 100" | bc -l)" "$(echo "(1 - $UTIL) * 100" | bc -l)"
  HOLD=$(sed -n 's/.*"prompt_hold_ms_per_part" : \([0-9.]*\).*/\1/p' "$DIR/modem.json")
  printf '   host time between the > prompt and the PDU %.1f ms per part (counted as waiting)\n' "$HOLD"
  printf '   AT commands per part %.2f; first AT+CMGS %.2f s after the batch landed; %s AT commands in the 30 s after\n' \
      "$PER" "$(echo "$FIRST - $DROP" | bc -l)" "$IDLE"
  sed -n '/"commands" : {/,/}/p' "$DIR/modem.json" | tr -d '\n ' | sed 's/^/   /'; echo
  echo "   wire trace: $DIR/trace.txt"
}

run_smstools() {
  DIR=$ROOT/smstools
  mkdir -p "$DIR/outgoing" "$DIR/checked" "$DIR/failed" "$DIR/incoming" "$DIR/sent" "$DIR/stats" "$DIR/batch"
  make_batch "$DIR/batch" smstools
  # smsd's shipped /etc/smsd.conf, with only the paths changed (device, spool folders, log).
  sed -e "s|/var/spool/sms|$DIR|g" -e "s|/var/log/smstools/smsd.log|$DIR/smsd.log|" \
      -e "s|/var/log/smstools/smsd_stats|$DIR/stats|" -e "s|/var/run/smstools|$DIR|g" \
      -e "s|/dev/ttyS0|$DIR/ttySIM0|" /etc/smsd.conf > "$DIR/smsd.conf"
  start_modem
  smsd -c "$DIR/smsd.conf" -t > "$DIR/smsd.out" 2>&1 &
  PEER=$!
  sleep 20   # smsd opens and initialises the modem
  DROP=$(date +%s.%N)
  for f in "$DIR"/batch/*; do mv "$f" "$DIR/outgoing/"; done
  report "smstools $(dpkg-query -W -f '${Version}' smstools) (smsd, shipped /etc/smsd.conf)"
}

run_gammu() {
  DIR=$ROOT/gammu
  mkdir -p "$DIR/inbox" "$DIR/outbox" "$DIR/sent" "$DIR/error"
  make_batch "$DIR/batch-count" none 2>/dev/null || true
  # gammu-smsd's shipped /etc/gammu-smsdrc, with only the port and the folders changed.
  sed -e "s|/dev/null|$DIR/ttySIM0|" -e "s|/var/spool/gammu|$DIR|g" -e "s|logfile = syslog|logfile = $DIR/smsd.log|" \
      /etc/gammu-smsdrc > "$DIR/gammu-smsdrc"
  start_modem
  gammu-smsd -c "$DIR/gammu-smsdrc" > "$DIR/gammu.out" 2>&1 &
  PEER=$!
  sleep 20
  DROP=$(date +%s.%N)
  i=0
  while [ $i -lt $M ]; do   # the same texts, through gammu-smsd-inject (its way into the outbox)
    n=$(printf '+336%08d' $((10000000 + i * 7919)))
    if [ $((i % 5)) -eq 4 ]; then
      t=""
      for k in 1 2 3; do t="${t}Soldes d'hiver : -30% sur tout le rayon chaussures, code HIVER$i. "; done
      gammu-smsd-inject -c "$DIR/gammu-smsdrc" TEXT "$n" -len ${#t} -text "$t" > /dev/null 2>&1
    else
      t="Bonjour, votre commande $((1000 + i)) est prete. Retrait des demain 9h en magasin."
      gammu-smsd-inject -c "$DIR/gammu-smsdrc" TEXT "$n" -text "$t" > /dev/null 2>&1
    fi
    i=$((i + 1))
  done
  report "gammu-smsd $(dpkg-query -W -f '${Version}' gammu-smsd) (shipped /etc/gammu-smsdrc)"
}

run_smsagent() {
  DIR=$ROOT/smsagent
  mkdir -p "$DIR/batch"
  make_batch "$DIR/batch" json
  # Shipped defaults (Config/smsagent.yaml) except: this modem only, throttle 0, no quiet hours.
  cat > "$DIR/smsagent.yaml" <<YAML
data_directory: $DIR/data
log_level: error
sender:
  brand: Bench
modems:
  discovery: false
  hotplug: false
  throttle:
    min_interval: 0s
    daily_cap: 0
  devices:
    - name: sim0
      path: $DIR/ttySIM0
compliance:
  quiet_hours: none
credits:
  opening_balance: 100000
YAML
  start_modem
  "$BIN/smsagent" run --config "$DIR/smsagent.yaml" > "$DIR/agent.out" 2>&1 &
  PEER=$!
  sleep 20
  DROP=$(date +%s.%N)
  for f in "$DIR"/batch/*; do mv "$f" "$DIR/data/outbox/tmp/" && mv "$DIR/data/outbox/tmp/$(basename "$f")" "$DIR/data/outbox/new/"; done
  report "smsagent $(git describe --always 2>/dev/null || echo) (smsagent run, Config/smsagent.yaml defaults)"
}

rm -rf "$ROOT"
mkdir -p "$ROOT"
case "$WHICH" in
  smstools) run_smstools ;;
  gammu) run_gammu ;;
  smsagent) run_smsagent ;;
  all) run_smstools; run_gammu; run_smsagent ;;
esac
echo "CMGS $CMGS_MS ms, other commands $OTHER_MS ms (real modems: 1-3 s per CMGS); $(nproc) shared cores"
echo "reproduce: swift build -c release --product smsagent-bench && swift build -c release --product smsagent && sh Benchmarks/peers.sh $WHICH $M"
