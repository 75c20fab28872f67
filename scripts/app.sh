#!/usr/bin/env bash
# Set up the environment if needed, then serve the Gradio app on the bundled default model.
# Port: $GRADIO_SERVER_PORT (default 7860). Model: $CHANGER_MODEL (default: bundled).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec python app.py "$@"
