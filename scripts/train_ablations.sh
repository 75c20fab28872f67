#!/usr/bin/env bash
# Train the CHANGER variants and the h2sb baseline with one identical budget
# (configs/ablation/*.json: 1000 steps of batch 8 on 128² crops), export each to
# changer/weights/<name>, evaluate them all with the baselines, and write the measured
# metrics into each model card.
# Long: run it in the background (nohup bash scripts/train_ablations.sh &); it resumes.
# Extra arguments go to every `changer train` (e.g. --num-workers 0).
# On a 2-core CPU with other work running, export OMP_NUM_THREADS=1 first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
names=(full no_h2 no_fpat no_chroma no_colorizer h2sb prefill)
for name in "${names[@]}"; do
  changer train --config "configs/ablation/$name.json" --out "runs/ablation/$name" --resume "$@"
done
for name in "${names[@]}"; do
  changer export "runs/ablation/$name/model" --out "changer/weights/$name"
done
methods="$(IFS=,; echo "${names[*]}"),paste,poisson,inpaint,laplacian"
changer eval --splits test_hdtf,test_vox,test_green --methods "$methods" --out outputs/eval/ablation
for name in "${names[@]}"; do
  changer export "runs/ablation/$name/model" --out "changer/weights/$name" --metrics outputs/eval/ablation/summary.csv
done
