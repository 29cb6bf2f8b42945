#!/usr/bin/env bash
# Runs a command with an X display, for Chromium on the GPU (headed: see e2e/browser.ts). Uses
# DISPLAY where one is set; otherwise starts Xvfb (Debian: apt-get install xvfb) on a free display
# for the command's lifetime.
#   bash tools/withXvfb.sh npm run bench -- --gpu --models 2B-4T
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: withXvfb.sh COMMAND [ARGS...]" >&2; exit 2; }
if [ -n "${DISPLAY:-}" ]; then exec "$@"; fi
command -v Xvfb >/dev/null || { echo "withXvfb.sh: Xvfb is missing (Debian: apt-get install xvfb)" >&2; exit 1; }
n=99
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$n" ] || { echo "withXvfb.sh: Xvfb did not start on :$n" >&2; exit 1; }
DISPLAY=":$n" "$@"
