#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs every test: the UI's type checks and
# component tests, every Rust test in the workspace, the desktop smoke and end-to-end tests
# on the real app under Xvfb, and the Debian package's own test on a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;32m[test]\033[0m %s\n' "$*"; }

bash scripts/setup.sh
# What the run starts must be gone when it ends (checked last, by tests/leftovers.sh).
run_marker=$(mktemp -t sparkdeck-test-run.XXXXXX)
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

log "UI: type check, component tests, production build"
(cd ui && npm run check && npm test && npm run build)

# The .deb needs a release build (about 18 CPU-minutes), the slowest step. It starts now, at
# the lowest priority, in a session of its own (one group to kill): the tests below leave
# about a core idle (they wait on JVMs and on states), and the build takes that time, never
# theirs. With the kernel's autogroup scheduling a new session is a new group that gets an
# equal share whatever its processes' nice values, so the group is niced too.
mkdir -p target
bundle_log=target/bundle.log
setsid bash -c '[ ! -w /proc/self/autogroup ] || echo 19 >/proc/self/autogroup; exec nice -n 19 bash scripts/bundle.sh' \
  >"$bundle_log" 2>&1 &
bundle_pid=$!
stop_bundle() { [ -z "${bundle_pid:-}" ] || kill -- "-$bundle_pid" 2>/dev/null || true; }
trap stop_bundle EXIT

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
trap 'xvfb_stop; stop_bundle' EXIT
xvfb_start
cargo test -p sparkdeck-e2e --locked -- --test-threads=1
xvfb_stop
trap stop_bundle EXIT

log "Package: the .deb (release build started after the UI step), then its own test"
wait "$bundle_pid" || { cat "$bundle_log" >&2; echo "the package build failed (log above: $bundle_log)" >&2; exit 1; }
bundle_pid=""
trap - EXIT
grep -F '[bundle]' "$bundle_log" || true
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
bash tests/package/deb.sh "target/bundle/sparkdeck_${version}_$(dpkg --print-architecture).deb"

log "Nothing left behind: no driver, JVM or agent of this checkout running, no temporary directory of this run"
bash tests/leftovers.sh "$run_marker"
rm -f "$run_marker"
log "all tests passed"
