#!/usr/bin/env bash
# Train the five CHANGER variants and the h2sb baseline with one identical budget
# (configs/ablation/*.json), export each to changer/weights/<variant>, then evaluate them.
# Long: run it in the background (nohup bash scripts/train_ablations.sh &); it resumes.
# Extra arguments go to every `changer train` (e.g. --num-workers 0).
# On a 2-core CPU with other work running, export OMP_NUM_THREADS=1 first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
for cfg in configs/ablation/{full,no_h2,no_fpat,no_chroma,no_colorizer,h2sb}.json; do
  name="$(basename "$cfg" .json)"
  changer train --config "$cfg" --out "runs/ablation/$name" --resume "$@"
  changer export "runs/ablation/$name/model" --out "changer/weights/$name"
done
changer eval --splits test_hdtf,test_vox,test_green \
  --methods full,no_h2,no_fpat,no_chroma,no_colorizer,h2sb,paste,poisson,inpaint,laplacian \
  --out outputs/eval/ablation
