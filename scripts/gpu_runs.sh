#!/usr/bin/env bash
# Several training runs side by side on one borrowed GPU, detached from the command that
# starts them (a device command may end while they train), and the export of what they made.
#
#   bash scripts/gpu_runs.sh start DATA OUT MINUTES CONFIG...  # one process per config, in the background
#   bash scripts/gpu_runs.sh status OUT                         # the last progress line of each run
#   bash scripts/gpu_runs.sh export OUT DEST                    # DEST/<run>: fp16 model folders, flip on
#
# Each run is `scripts/train_for_minutes.py --average-fraction 0.75` (the schedule fitted to
# MINUTES at the measured speed); WORKERS (default 4) sets its data-loader workers and
# TRAIN_ARGS adds options to it (e.g. "--probe-steps 200"). Logs go to OUT/<run>.log, where
# <run> is the config's file name without .json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"

usage() { sed -n '5,7p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2; }

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
      echo "started $name (pid $!, log $out/$name.log)"
    done
    ;;
  status)
    [ $# -eq 2 ] || usage
    for log in "$2"/*.log; do
      name="$(basename "$log" .log)"
      done_mark=""; [ -f "$2/$name/model/model.safetensors" ] && done_mark=" [model written]"
      echo "$name$done_mark: $(tail -c 400 "$log" | tr '\r' '\n' | { grep -av '^\s*$' || true; } | tail -n 1)"
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
