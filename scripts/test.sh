#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs every test: the UI's type checks and
# component tests, every Rust test in the workspace, and the desktop smoke test that
# starts the real app under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;32m[test]\033[0m %s\n' "$*"; }

bash scripts/setup.sh
# What the run starts must be gone when it ends (checked last, by tests/leftovers.sh).
run_marker=$(mktemp -t sparkdeck-test-run.XXXXXX)
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

log "UI: type check, component tests, production build"
(cd ui && npm run check && npm test && npm run build)

log "Driver agent: on real Spark"
.venv/bin/python -m unittest discover -s driver/tests

log "Rust: every crate's tests (engine, server, desktop shell bindings)"
cargo test --workspace --exclude sparkdeck-e2e --locked

# The Kubernetes suite against a real cluster (the other layers ran above).
if [ -n "${SPARKDECK_TEST_KUBECONFIG:-}" ]; then
  log "Kubernetes: the real cluster in $SPARKDECK_TEST_KUBECONFIG"
  cargo test -p sparkdeck-engine --test k8s_real_cluster --locked -- --ignored
else
  log "Kubernetes real-cluster suite: skipped: no cluster (set SPARKDECK_TEST_KUBECONFIG)"
fi

log "Desktop: the real app under Xvfb (smoke test, then end to end over WebDriver)"
cargo build -p sparkdeck-app --locked
bash tests/desktop/smoke.sh target/debug/sparkdeck
source scripts/xvfb.sh
trap xvfb_stop EXIT
xvfb_start
cargo test -p sparkdeck-e2e --locked -- --test-threads=1
xvfb_stop
trap - EXIT

# The .deb's own test (`make package-test`: a release build, lintian, the extracted
# binaries) is not part of this run yet: a release build on a clean clone takes about half
# an hour on this machine's 2 cores (see docs/ARCHITECTURE.md, "The package").

log "Nothing left behind: no driver, JVM or agent of this checkout running, no temporary directory of this run"
bash tests/leftovers.sh "$run_marker"
rm -f "$run_marker"
log "all tests passed"
