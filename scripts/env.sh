#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install the project.
# Sourced by scripts/app.sh and scripts/test.sh. The venv is rebuilt only when the
# requirement files change (their hash is stored inside the venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${CHANGER_PYTHON:-$(command -v python3.11 || command -v python3)}"
STAMP="$VENV/.requirements.sha256"
want="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"

if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "[changer] setting up $VENV (first run or requirements changed) ..."
  # torch with its CUDA libraries takes about 7 GiB; say so before pip fails half-way.
  free_kib="$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')"
  if [ "${free_kib:-0}" -lt $((8 * 1024 * 1024)) ]; then
    echo "[changer] warning: only $((free_kib / 1024 / 1024)) GiB free on $ROOT's disk; the environment needs about 8 GiB" >&2
  fi
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  pip_q() { "$VENV/bin/python" -m pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
  pip_q --upgrade pip
  pip_q -r "$ROOT/requirements-dev.txt"
  pip_q --no-deps -e "$ROOT"
  echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
