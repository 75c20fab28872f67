#!/usr/bin/env bash
# Two CPU processes (gloo) run a few training steps of CHANGER under `accelerate launch`
# on a tiny synthetic dataset: the multi-process path of the trainer, end to end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python -c "from changer.data.synthetic import write_synthetic_dataset as w; w('$tmp/data', {'train': 2}, frames_per_clip=4, size=64)"
cat > "$tmp/cfg.json" <<JSON
{"model": {"variant": "full", "channels": [8, 16, 16, 32], "dim": 32, "heads": 2, "train_size": 64},
 "train": {"steps": 4, "batch_size": 2, "crop_size": 64, "adv_start": 2, "num_workers": 0,
           "log_every": 2, "sample_every": 4, "checkpoint_every": 4}}
JSON
OMP_NUM_THREADS=1 accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no \
  --dynamo_backend no -m changer.cli train --config "$tmp/cfg.json" --data "$tmp/data" --out "$tmp/run" --cpu
test -f "$tmp/run/model/model.safetensors" && cat "$tmp/run/log.csv" && echo "two-process training: OK"
