#!/usr/bin/env bash
# The Debian package as a user gets it: lintian finds no errors; extracted (`dpkg-deb -x`)
# into a temporary root it holds the app, the server, the driver agent, the menu entry and
# its icons, and declares its dependencies; its server, run from that root with an empty
# HOME, no project virtualenv and no SPARK_HOME, answers /api/v1/status.
#
# Then: /status says Spark is missing without naming a make target, the server installs
# Spark (`POST /api/v1/spark/install`; pip's cache may be used) and runs a Python job to
# FINISHED; under Xvfb a second start of the extracted app focuses the first and exits (no
# second process stays), and over WebDriver (tests/e2e/tests/package.rs) the extracted app
# shows its first-run screen on a fresh HOME and, on the server's data directory, the
# server's job FINISHED on its Jobs page (screenshots in target/package-test/).
# SPARKDECK_PACKAGE_INSTALL_TEST=0 stops after /status (no install, no window).
# Usage: tests/package/deb.sh target/bundle/sparkdeck_<version>_<arch>.deb
set -euo pipefail
deb=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
log() { printf '\033[1;35m[package]\033[0m %s\n' "$*"; }
fail() { echo "package test: FAIL: $*" >&2; [ -n "${server_log:-}" ] && [ -f "$server_log" ] && { echo "--- server log:" >&2; cat "$server_log" >&2; }; exit 1; }

work=$(mktemp -d -t sparkdeck-package.XXXXXX)
cleanup() {
  local status=$?
  set +e
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "${APP_PID:-}" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
  [ -n "${SECOND_PID:-}" ] && kill "$SECOND_PID" 2>/dev/null && wait "$SECOND_PID" 2>/dev/null
  [ -n "${BUS_PID:-}" ] && kill "$BUS_PID" 2>/dev/null
  declare -F xvfb_stop >/dev/null && xvfb_stop
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

log "lintian"
# Errors fail the run; warnings and notes are printed for whoever reads the log.
# lintian leaves an mldbm-elf-* temporary behind: keep it in $work.
TMPDIR="$work" lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports errors on $deb"

log "control: dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 'openjdk-17-jre-headless | java17-runtime-headless' python3 python3-venv; do
  grep -qF -- "$dep" <<<"$depends" || fail "Depends lacks '$dep'"
done

log "contents"
root="$work/root"
dpkg-deb -x "$deb" "$root"
for exe in usr/bin/sparkdeck usr/bin/sparkdeck-server; do
  [ -x "$root/$exe" ] || fail "$exe missing or not executable"
done
for file in usr/lib/sparkdeck/driver/sparkdeck_driver.py usr/lib/sparkdeck/driver/ilum/__init__.py \
  usr/lib/sparkdeck/driver/ilum/api.py usr/lib/sparkdeck/driver/sparkdeck_agent/scala_cells.py \
  usr/lib/sparkdeck/driver/build/sparkdeck-driver.jar \
  usr/share/applications/sparkdeck.desktop usr/share/icons/hicolor/128x128/apps/sparkdeck.png \
  usr/share/icons/hicolor/32x32/apps/sparkdeck.png usr/share/icons/hicolor/512x512/apps/sparkdeck.png; do
  [ -s "$root/$file" ] || fail "$file missing or empty"
done
cmp -s "$root/usr/lib/sparkdeck/driver/build/sparkdeck-driver.jar" "$repo/driver/build/sparkdeck-driver.jar" \
  || fail "the packaged driver jar is not the checkout's"

log "menu entry"
desktop="$root/usr/share/applications/sparkdeck.desktop"
desktop-file-validate "$desktop" || fail "the .desktop entry is not valid"
entry() { sed -n "s/^$1=//p" "$desktop"; }
[ "$(entry Exec)" = sparkdeck ] || fail "Exec is '$(entry Exec)', not sparkdeck"
[ -x "$root/usr/bin/$(entry Exec)" ] || fail "Exec names no packaged binary"
[ -f "$root/usr/share/icons/hicolor/128x128/apps/$(entry Icon).png" ] || fail "Icon '$(entry Icon)' has no packaged icon"
[ "$(entry Type)" = Application ] || fail "Type is not Application"

# A user's session: an empty HOME, none of the checkout's environment (no SPARK_HOME, no
# virtualenv), PATH without the checkout. SPARKDECK_NO_CHECKOUT hides the .venv of the
# checkout these binaries were built in (compiled into discovery).
home="$work/home"
mkdir -p "$home"
# Run as `"${as_user[@]}" binary …`: env execs the binary, so `$!` is its pid (a shell
# function run in the background would be a subshell, and killing that leaves the binary).
as_user=(env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 SPARKDECK_NO_CHECKOUT=1)

log "server: --help from the extracted root"
"${as_user[@]}" "$root/usr/bin/sparkdeck-server" --help >"$work/help.txt" || fail "sparkdeck-server --help failed"
grep -q -- "--port" "$work/help.txt" || fail "--help does not describe --port"

log "server: /api/v1/status from the extracted root, no Spark set up"
server_log="$work/server.log"
"${as_user[@]}" "$root/usr/bin/sparkdeck-server" --port 0 >"$server_log" 2>&1 &
SERVER_PID=$!
base=""
for _ in $(seq 300); do
  base=$(sed -n 's/^sparkdeck-server listening on \(http:[^ ]*\)$/\1/p' "$server_log")
  [ -n "$base" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited"
  sleep 0.1
done
[ -n "$base" ] || fail "the server did not say where it listens"
token=$(sed -n 's/^token: \([^ ]*\) .*/\1/p' "$server_log")
api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }
status=$(api "$base/status") || fail "/status: $status"
echo "status: $status"
jq -e '.version == "'"$(dpkg-deb -f "$deb" Version)"'"' <<<"$status" >/dev/null || fail "/status has not the package's version"
# Its data directory is the user's (under the empty HOME), not the checkout's.
[ -n "$(find "$home" -name sparkdeck.db -print -quit)" ] || fail "the server's database is not under HOME"

if [ "${SPARKDECK_PACKAGE_INSTALL_TEST:-1}" = 0 ]; then
  log "Spark install, job and window steps: not run (SPARKDECK_PACKAGE_INSTALL_TEST=0)"
  log "ok"
  exit 0
fi

log "server: Spark is missing, and the message names no make target"
jq -e '.sparkHome == null and (.error | type == "string")' <<<"$status" >/dev/null || fail "/status does not say Spark is missing"
jq -r .error <<<"$status" | grep -qi make && fail "the missing-Spark message names a make target: $(jq -r .error <<<"$status")"

log "server: POST /spark/install and wait for it (pip's cache may be used)"
api -X POST "$base/spark/install" >/dev/null || fail "POST /spark/install refused"
state=running
for _ in $(seq 1200); do
  state=$(api "$base/status" | jq -r .sparkInstall.state)
  [ "$state" = running ] || break
  sleep 1
done
[ "$state" = succeeded ] || fail "the install ended $state: $(api "$base/status" | jq -c .sparkInstall)"
api "$base/status" | jq -e '.sparkSource == "installed" and .error == null' >/dev/null \
  || fail "after the install /status does not use the installed Spark: $(api "$base/status")"

log "server: a Python job on the installed Spark runs to FINISHED"
printf 'from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint("sum", spark.range(10).groupBy().sum().first()[0])\nspark.stop()\n' >"$work/sum.py"
job=$(api -F name=package-test -F language=PYTHON -F "pyFiles=@$work/sum.py" "$base/job/submit" | jq -r .jobId)
[ -n "$job" ] && [ "$job" != null ] || fail "the job was not submitted"
job_state=""
for _ in $(seq 300); do
  job_state=$(api "$base/job/$job" | jq -r .state)
  case "$job_state" in FINISHED|FAILED|CANCELED|UNKNOWN) break ;; esac
  sleep 1
done
[ "$job_state" = FINISHED ] || fail "the job ended $job_state: $(api "$base/job/$job/logs?logSize=25000")"
api "$base/job/$job/logs?logSize=25000" | grep -q "sum 45" || fail "the job's log lacks its output"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

log "app: the extracted app under Xvfb, a fresh HOME; a second start focuses the first and exits"
source "$repo/scripts/xvfb.sh"
xvfb_start
# A private session bus: the app folds a second start into the first over it.
{ read -r bus_address; read -r BUS_PID; } < <(dbus-daemon --session --fork --print-address=1 --print-pid=1)
shots="$repo/target/package-test"
mkdir -p "$shots" "$work/home-app"
# Starts the extracted app in the background for HOME $1, logging to $2; sets the pid in the
# variable named $3.
start_app() {
  env -i HOME="$1" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 SPARKDECK_NO_CHECKOUT=1 \
    DISPLAY="$DISPLAY" ${XAUTHORITY:+XAUTHORITY="$XAUTHORITY"} DBUS_SESSION_BUS_ADDRESS="$bus_address" \
    "$root/usr/bin/sparkdeck" >"$2" 2>&1 &
  printf -v "$3" %s "$!"
}
app_processes() { pgrep -x -f "$root/usr/bin/sparkdeck" | sort | tr '\n' ' '; }
focused() { xdotool getwindowfocus getwindowname 2>/dev/null || true; }

start_app "$work/home-app" "$work/app.log" APP_PID
win=$(wait_window Sparkdeck 60) || fail "no window titled Sparkdeck within 60 s: $(cat "$work/app.log")"
colours=$(wait_painted "$win") || fail "the window looks blank ($colours colours)"
first=$(app_processes)
[ "$first" = "$APP_PID " ] || fail "one app process expected before the second start, found: $first"
root_window=$(xwininfo -root | sed -n 's/.*Window id: \(0x[0-9a-f]*\).*/\1/p')
xdotool windowfocus "$root_window"
[ "$(focused)" != Sparkdeck ] || fail "the window kept the focus; the check would prove nothing"
start_app "$work/home-app" "$work/second.log" SECOND_PID
for _ in $(seq 300); do kill -0 "$SECOND_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SECOND_PID" 2>/dev/null && fail "the second start did not exit within 30 s"
wait "$SECOND_PID" || fail "the second start exited with $?: $(cat "$work/second.log")"
SECOND_PID=""
[ "$(app_processes)" = "$first" ] || fail "processes after the second start: $(app_processes), expected $first"
for _ in $(seq 100); do [ "$(focused)" = Sparkdeck ] && break; sleep 0.2; done
[ "$(focused)" = Sparkdeck ] || fail "the running window was not focused (focus: '$(focused)')"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
APP_PID=""

log "app over WebDriver: the first-run screen, then the server's job on the Jobs page of its data directory"
# tests/e2e/tests/package.rs; `make test` has built it by now (else cargo builds it here).
data_dir=$(dirname "$(find "$home" -name sparkdeck.db -print -quit)")
SPARKDECK_E2E_APP="$root/usr/bin/sparkdeck" SPARKDECK_PACKAGE_DATA_DIR="$data_dir" SPARKDECK_SCREENSHOTS="$shots" \
  cargo test --manifest-path "$repo/Cargo.toml" --locked -p sparkdeck-e2e --test package -- --ignored \
  || fail "the packaged app's window test failed"
log "screenshots: $shots/package-first-run.png and $shots/package-jobs.png (look at them)"
log "ok"
