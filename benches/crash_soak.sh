#!/usr/bin/env bash
# The crash soak at full length (make test runs it with 3 rounds): rounds of single jobs
# and group requests on real Spark with the release server SIGKILLed at a random moment
# in each, then the counts of how everything ended. Usage: benches/crash_soak.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export SPARKDECK_SOAK_ROUNDS="${1:-100}"
[ -n "${2:-}" ] && export SPARKDECK_SOAK_SEED="$2"
cargo test --release -p sparkdeck-server --test crash_soak --locked -- --nocapture 2>&1 | grep -E '^crash soak|^test |panicked|FAILED|^test result'
