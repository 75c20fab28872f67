#!/usr/bin/env bash
# Set up the environment if needed, then run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k chroma).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
# The browser tests drive Debian's Chromium; install it when we may (root, apt present).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[changer] installing chromium for the browser tests ..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "[changer] could not install chromium: browser tests will be skipped"
fi
exec python -m pytest "$@"
