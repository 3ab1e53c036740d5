#!/usr/bin/env bash
# Desktop app benchmark under Xvfb: time from launch to the window painted, and the idle
# memory of the app (its own process and WebKit's web/network processes), medians over
# RUNS launches on fresh data directories. Targets (issue 5): painted ≤ 2 s, idle ≤ 150 MB.
# Usage: benches/desktop.sh [path/to/sparkdeck] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
app=$(realpath "${1:-target/debug/sparkdeck}")
runs=${2:-5}
source scripts/xvfb.sh
trap xvfb_stop EXIT
xvfb_start

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# Proportional set size: shared library pages split among the processes that map them.
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
tree_pids() { echo "$1"; pgrep -P "$1" | while read -r c; do tree_pids "$c"; done; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

paint=(); own=(); total=(); pss=()
for i in $(seq "$runs"); do
  data=$(mktemp -d)
  start=$(date +%s%N)
  SPARKDECK_DATA_DIR=$data "$app" >/dev/null 2>&1 &
  pid=$!
  win=$(wait_window Sparkdeck 30)
  while [ "$(window_colours "$win")" -le 50 ]; do sleep 0.02; done
  paint+=($(( ($(date +%s%N) - start) / 1000000 )))
  sleep 10 # idle
  own+=($(rss_kib "$pid"))
  sum=0; psum=0
  for p in $(tree_pids "$pid"); do sum=$((sum + $(rss_kib "$p"))); psum=$((psum + $(pss_kib "$p"))); done
  total+=("$sum"); pss+=("$psum")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
done
p=$(printf '%s\n' "${paint[@]}" | median)
o=$(printf '%s\n' "${own[@]}" | median)
t=$(printf '%s\n' "${total[@]}" | median)
s=$(printf '%s\n' "${pss[@]}" | median)
echo "launch → window painted: median ${p} ms over $runs runs (target 2000 ms; ratio $(awk "BEGIN {printf \"%.2f\", $p/2000}"))"
echo "idle RSS, app process: median $((o / 1024)) MiB"
echo "idle RSS, app + WebKit processes: median $((t / 1024)) MiB (target 150 MB; ratio $(awk "BEGIN {printf \"%.2f\", ($t*1024)/150e6}"))"
echo "idle PSS, app + WebKit processes: median $((s / 1024)) MiB"
