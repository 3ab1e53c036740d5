#!/bin/sh
# A stand-in for python3 in Spark install tests (`@ROOT@` is the test's directory): it acts
# as `python3 -m venv DIR` (copying itself to DIR/bin/python), the venv's
# `python -m pip install pyspark==4.3.0` (progress lines, then a fake pyspark with
# bin/spark-submit) and the check `python -c ...`. What pip does between its first and last
# progress line is `@ROOT@/pip-mode`: empty (succeeds), `gate` (waits for @ROOT@/gate),
# `hang` (until killed), or `fail <message>` (prints it on stderr, exits 1).
root=@ROOT@
case "$1 $2" in
"-m venv") echo venv >> "$root/calls"; mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0 ;;
"-m pip")
  if [ "$4" = --help ]; then echo "  --progress-bar <progress_bar>  [on, off, raw]"; exit 0; fi
  echo "Collecting pyspark==4.3.0"
  echo "  Downloading pyspark-4.3.0.tar.gz (4 kB)"
  echo "Progress 2048 of 4096"
  mode=$(cat "$root/pip-mode" 2>/dev/null)
  case "$mode" in
  gate) while [ ! -e "$root/gate" ]; do sleep 0.02; done ;;
  hang) sleep 600 ;;
  fail*) echo "${mode#fail }" >&2; exit 1 ;;
  esac
  echo "Progress 4096 of 4096"
  echo "Installing collected packages: pyspark"
  site="$(dirname "$0")/../lib/python3.11/site-packages/pyspark"
  mkdir -p "$site/bin" && printf '#!/bin/sh\n' > "$site/bin/spark-submit" && chmod +x "$site/bin/spark-submit"
  echo "__version__ = '4.3.0'" > "$site/version.py"
  echo "Successfully installed pyspark-4.3.0"; exit 0 ;;
"-c "*) echo 4.3.0; exit 0 ;;
esac
echo "unexpected: $*" >&2; exit 2
