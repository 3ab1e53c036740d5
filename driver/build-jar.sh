#!/usr/bin/env bash
# Compiles the driver's JVM side (the cloud.ilum.job.Job contract and the runner the
# Python agent calls) against the Spark distribution's jars into driver/build/.
# Usage: driver/build-jar.sh SPARK_HOME
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spark_home=$1
out="$here/build"
jar="$out/sparkdeck-driver.jar"
sources=$(find "$here/jvm" -name '*.java')
# Up to date when the jar is newer than every source.
if [ -f "$jar" ] && [ -z "$(find "$here/jvm" -name '*.java' -newer "$jar")" ]; then
  exit 0
fi
rm -rf "$out/classes" && mkdir -p "$out/classes"
# shellcheck disable=SC2086
javac -nowarn --release 17 -cp "$spark_home/jars/*" -d "$out/classes" $sources
jar --create --file "$jar.tmp" -C "$out/classes" .
mv "$jar.tmp" "$jar"
rm -rf "$out/classes"
