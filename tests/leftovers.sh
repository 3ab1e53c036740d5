#!/usr/bin/env bash
# After the test run: no Spark driver, JVM or agent started from this checkout may still
# run, and no temporary directory the run created may be left. Lists what it finds,
# kills those processes and fails; prints "none" and succeeds otherwise.
#   tests/leftovers.sh MARKER   (MARKER: a file touched before the run started)
set -u
cd "$(dirname "$0")/.."
marker=${1:?usage: tests/leftovers.sh MARKER}
root=$PWD
found=0
for proc in /proc/[0-9]*; do
  pid=${proc#/proc/}
  [ "$pid" = "$$" ] && continue
  # A process may end between the glob and the read: skip it quietly.
  cmd=$({ tr '\0' ' ' < "$proc/cmdline"; } 2>/dev/null) || continue
  case "$cmd" in
    *sparkdeck_driver.py*|*org.apache.spark.deploy.SparkSubmit*|*org.apache.spark.deploy.master.Master*|*org.apache.spark.deploy.worker.Worker*) ;;
    *) continue ;;
  esac
  case "$cmd" in *"$root"*) ;; *) continue ;; esac
  echo "left running: pid $pid: ${cmd:0:160}"
  kill -9 "$pid" 2>/dev/null
  found=1
done
while IFS= read -r dir; do
  echo "left behind: $dir"
  found=1
done < <(find "${TMPDIR:-/tmp}" -maxdepth 1 -name '.tmp*' -newer "$marker" 2>/dev/null)
[ "$found" = 0 ] && echo "none"
exit "$found"
