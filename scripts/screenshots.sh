#!/usr/bin/env bash
# Takes screenshots of the real window under Xvfb by running the desktop end-to-end tests
# with SPARKDECK_SCREENSHOTS set. Usage: scripts/screenshots.sh OUTPUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "$1")
mkdir -p "$out"
source scripts/xvfb.sh
trap xvfb_stop EXIT
xvfb_start
SPARKDECK_SCREENSHOTS="$out" cargo test -p sparkdeck-e2e --locked -- --test-threads=1
ls -1 "$out"
