#!/usr/bin/env bash
# Smoke test of the real desktop app under Xvfb: it starts, opens the engine on a fresh
# data directory (creating the default cluster), shows its window, paints the UI, and
# stays up. Usage: tests/desktop/smoke.sh path/to/sparkdeck
set -euo pipefail
app=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/xvfb.sh"

data=$(mktemp -d)
log=$(mktemp)
cleanup() {
  local status=$?
  set +e # the app ends by our SIGTERM; that must not become the script's status
  [ -n "${APP_PID:-}" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
  xvfb_stop
  rm -rf "$data" "$log"
  exit "$status"
}
trap cleanup EXIT
fail() { echo "desktop smoke: FAIL: $*" >&2; echo "--- app log:" >&2; cat "$log" >&2; exit 1; }

xvfb_start
SPARKDECK_DATA_DIR="$data" "$app" >"$log" 2>&1 &
APP_PID=$!

win=$(wait_window Sparkdeck 60) || fail "no window titled Sparkdeck within 60 s"
colours=$(wait_painted "$win") || fail "window looks blank ($colours colours)"
kill -0 "$APP_PID" 2>/dev/null || fail "app exited"
default=$(sqlite3 "$data/sparkdeck.db" "SELECT type FROM clusters WHERE name = 'default'")
[ "$default" = local ] || fail "default cluster missing in the app's database"
echo "desktop smoke: ok (window $win, $colours colours, default cluster present)"
