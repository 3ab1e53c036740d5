#!/usr/bin/env bash
# Idle memory, side by side (issue 15): the app (its process and WebKit's web and network
# processes) and the same built UI (ui/dist) in Debian's Chromium in app mode, both under
# Xvfb, both showing the Jobs page of an empty data directory. Sums PSS and RSS from
# /proc/<pid>/smaps_rollup over each one's process tree; medians over RUNS runs each.
# Chromium gets the Tauri IPC from ui/bench/ipc-shim.ts, served with ui/dist from a local
# static server. Screenshots of the first run's windows go to target/bench-memory/.
# Usage: benches/memory.sh [path/to/sparkdeck] [RUNS]   (target: app ≤ 0.5 × Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
app=$(realpath "${1:-target/release/sparkdeck}")
runs=${2:-3}
idle=${MEMORY_IDLE_SECONDS:-8}
shots=target/bench-memory
# Only this bench needs Debian's Chromium, so `make test` does not install it.
if ! command -v chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing chromium (Debian's package) for the side-by-side measurement" >&2
  $SUDO apt-get install -y -q chromium >/dev/null
fi
[ -f ui/dist/index.html ] || { echo "ui/dist is missing: cd ui && npm run build" >&2; exit 1; }
mkdir -p "$shots"
source scripts/xvfb.sh

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  xvfb_stop
  rm -rf "$work"
}
trap cleanup EXIT
xvfb_start

# The web root: ui/dist as built, plus the IPC shim loaded before the UI's module script.
(cd ui && npx vite build --logLevel error --config bench/vite.shim.config.ts --outDir "$work/shim")
cp -r ui/dist "$work/web"
cp "$work/shim/ipc-shim.js" "$work/web/"
sed -i 's|<script type="module"|<script src="/ipc-shim.js"></script>\n    &|' "$work/web/index.html"
: >"$work/http.log"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/web" >"$work/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$work/http.log"); [ -n "$port" ] && break; sleep 0.1; done
[ -n "$port" ] || { echo "the static server did not start" >&2; exit 1; }

tree_pids() { echo "$1"; pgrep -P "$1" | while read -r c; do tree_pids "$c"; done; }
# "<pss KiB> <rss KiB>" summed over a process tree; a process gone meanwhile counts 0.
tree_memory() {
  local pss=0 rss=0 p s r
  for p in $(tree_pids "$1"); do
    read -r s r < <(awk '/^Pss:/ {s=$2} /^Rss:/ {r=$2} END {print s+0, r+0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0 0)
    pss=$((pss + s)); rss=$((rss + r))
  done
  echo "$pss $rss"
}
# The largest mappings by PSS summed over a process tree ("<MiB> <file or [anon]>"), to say
# where the figure goes (WebKit's libraries, Mesa's LLVM behind WebKit's EGL display, …).
tree_top_mappings() {
  local p
  for p in $(tree_pids "$1"); do cat "/proc/$p/smaps" 2>/dev/null || true; done | awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6 ? $6 : "[anon]"); next }
    /^Pss:/ { pss[name] += $2 }
    END { for (n in pss) printf "%.1f %s\n", pss[n] / 1024, n }' | sort -rn | head -n "${2:-10}"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Waits for the window to paint, opens the Jobs page from the sidebar, waits until idle.
# Both windows are 1200×780 with the same layout, so the link is at the same place.
open_jobs_page() {
  local win=$1
  while [ "$(window_colours "$win")" -le 50 ]; do sleep 0.1; done
  sleep 2
  xdotool mousemove --window "$win" 60 117 click 1 # "Jobs"
  xdotool mousemove --window "$win" 700 600 # off the link, so no hover status shows
  sleep "$idle"
}

# Runs one measurement: $1 = app|chromium, $2 = run number; prints "<pss> <rss>".
measure() {
  local kind=$1 run=$2 pid win data mem
  data=$(mktemp -d -p "$work")
  if [ "$kind" = app ]; then
    SPARKDECK_DATA_DIR=$data "$app" >/dev/null 2>&1 &
  else
    # As root Chromium runs only without its sandbox; the process model stays the same.
    local sandbox=(); [ "$(id -u)" -ne 0 ] || sandbox=(--no-sandbox)
    chromium "${sandbox[@]}" --user-data-dir="$data" --app="http://127.0.0.1:$port/index.html" --window-size=1200,780 \
      --test-type --no-first-run --no-default-browser-check --disable-sync --password-store=basic >/dev/null 2>&1 &
  fi
  pid=$!
  win=$(wait_window Sparkdeck 60)
  open_jobs_page "$win"
  mem=$(tree_memory "$pid")
  [ "$run" -gt 1 ] || import -window "$win" "$shots/$kind.png"
  [ "$run" -gt 1 ] || tree_top_mappings "$pid" 10 >"$shots/$kind-mappings.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # Chromium's helpers leave with the browser; wait so the next run starts alone.
  for _ in $(seq 50); do pgrep -f -- "--user-data-dir=$data" >/dev/null || break; sleep 0.1; done
  rm -rf "$data"
  echo "$mem"
}

declare -A pss rss
for i in $(seq "$runs"); do
  for kind in app chromium; do
    read -r p r < <(measure "$kind" "$i")
    pss[$kind]+="$p "; rss[$kind]+="$r "
    echo "run $i $kind: PSS $((p / 1024)) MiB, RSS $((r / 1024)) MiB"
  done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
ap=$(med "${pss[app]}"); ar=$(med "${rss[app]}"); cp=$(med "${pss[chromium]}"); cr=$(med "${rss[chromium]}")
mib() { awk "BEGIN {printf \"%.0f\", $1/1024}"; }
echo "idle memory, Jobs page, medians over $runs runs (app: $app; $(chromium --version 2>/dev/null))"
echo "  app + WebKit processes: PSS $(mib "$ap") MiB, RSS $(mib "$ar") MiB"
echo "  Chromium, all processes: PSS $(mib "$cp") MiB, RSS $(mib "$cr") MiB"
echo "  ratio app/Chromium: PSS $(awk "BEGIN {printf \"%.2f\", $ap/$cp}"), RSS $(awk "BEGIN {printf \"%.2f\", $ar/$cr}") (target ≤ 0.50)"
echo "  largest mappings of the app, PSS in MiB over its processes (first run):"
sed 's/^/    /' "$shots/app-mappings.txt"
echo "  screenshots: $shots/app.png, $shots/chromium.png"
