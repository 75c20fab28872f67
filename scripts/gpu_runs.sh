#!/usr/bin/env bash
# Several training runs side by side on one borrowed GPU, detached from the command that
# starts them (a device command may end while they train), and the export of what they made.
#
#   bash scripts/gpu_runs.sh start DATA OUT MINUTES CONFIG...  # one process per config, in the background
#   bash scripts/gpu_runs.sh status OUT                         # the last progress line of each run
#   bash scripts/gpu_runs.sh wait OUT MINUTES                   # until every run has ended
#   bash scripts/gpu_runs.sh export OUT DEST                    # DEST/<run>: fp16 model folders, flip on
#
# A lent machine goes back 30 s after a command ends, and the runs with it: where that
# holds, start, wait and export go in one command (docs/experiments/gpu.md, "Ready for the
# next GPU run"). `wait` prints the status each minute and returns when every run's
# process has ended; it fails (exit 1) as soon as one ended without writing its model, and
# with exit 124 after MINUTES.
#
# Each run is `scripts/train_for_minutes.py --average-fraction 0.75` (the schedule fitted to
# MINUTES at the measured speed); WORKERS (default 4) sets its data-loader workers and
# TRAIN_ARGS adds options to it (e.g. "--probe-steps 200"). Logs go to OUT/<run>.log, where
# <run> is the config's file name without .json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"

usage() { sed -n '5,8p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2; }
# Every checkpoint rewrites OUT/<run>/model, the first one right after the speed probe, so
# a run's model is final only once its process has ended.
written() { [ -f "$1/$2/model/training.json" ]; }  # the model card is written last
running() { [ -f "$1/$2.pid" ] && kill -0 "$(cat "$1/$2.pid")" 2>/dev/null; }
status() {
  for log in "$1"/*.log; do
    name="$(basename "$log" .log)"
    done_mark=""; written "$1" "$name" && ! running "$1" "$name" && done_mark=" [model written]"
    echo "$name$done_mark: $(tail -c 400 "$log" | tr '\r' '\n' | { grep -av '^\s*$' || true; } | tail -n 1)"
  done
}

case "${1:-}" in
  start)
    [ $# -ge 5 ] || usage
    data="$2"; out="$3"; minutes="$4"; shift 4
    mkdir -p "$out"
    for config in "$@"; do
      name="$(basename "$config" .json)"
      setsid nohup "$PY" "$ROOT/scripts/train_for_minutes.py" --config "$config" --data "$data" \
        --out "$out/$name" --minutes "$minutes" --average-fraction 0.75 --num-workers "${WORKERS:-4}" \
        ${TRAIN_ARGS:-} > "$out/$name.log" 2>&1 < /dev/null &
      echo "$!" > "$out/$name.pid"
      echo "started $name (pid $!, log $out/$name.log)"
    done
    ;;
  status)
    [ $# -eq 2 ] || usage
    status "$2"
    ;;
  wait)
    [ $# -eq 3 ] || usage
    deadline=$(( $(date +%s) + $(awk -v m="$3" 'BEGIN { printf "%d", m * 60 }') ))
    last=0
    while :; do
      pending=0
      for pidfile in "$2"/*.pid; do
        [ -f "$pidfile" ] || { echo "no runs in $2" >&2; exit 1; }
        name="$(basename "$pidfile" .pid)"
        running "$2" "$name" && { pending=1; continue; }
        if ! written "$2" "$name"; then
          echo "run $name ended without a model; the end of $2/$name.log:" >&2
          tail -n 20 "$2/$name.log" >&2
          exit 1
        fi
      done
      [ "$pending" = 0 ] && { status "$2"; exit 0; }
      now=$(date +%s)
      [ "$now" -ge "$deadline" ] && { echo "still training after $3 min" >&2; status "$2" >&2; exit 124; }
      [ $(( now - last )) -ge 60 ] && { status "$2"; last=$now; }
      sleep 2
    done
    ;;
  export)
    [ $# -eq 3 ] || usage
    for model in "$2"/*/model; do
      [ -f "$model/model.safetensors" ] || continue
      name="$(basename "$(dirname "$model")")"
      "$PY" -m changer.cli export "$model" --out "$3/$name" --precision fp16 --flip-ensemble
    done
    ;;
  *) usage ;;
esac
