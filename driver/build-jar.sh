#!/usr/bin/env bash
# Compiles the driver's JVM side (the cloud.ilum.job.Job contract, the job runner and the
# Scala interpreter the Python agent calls) against the Spark distribution's jars into
# driver/build/: Java with javac, Scala with the distribution's own scala-compiler.
# Usage: driver/build-jar.sh SPARK_HOME
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spark_home=$1
out="$here/build"
jar="$out/sparkdeck-driver.jar"
java_sources=$(find "$here/jvm" -name '*.java')
scala_sources=$(find "$here/jvm" -name '*.scala')
# Up to date when the jar is newer than every source and than this script.
if [ -f "$jar" ] && [ -z "$(find "$here/jvm" "$0" \( -name '*.java' -o -name '*.scala' -o -name build-jar.sh \) -newer "$jar")" ]; then
  exit 0
fi
rm -rf "$out/classes" && mkdir -p "$out/classes"
# shellcheck disable=SC2086
javac -nowarn --release 17 -cp "$spark_home/jars/*" -d "$out/classes" $java_sources
if [ -n "$scala_sources" ]; then
  # shellcheck disable=SC2086
  java -cp "$spark_home/jars/*" scala.tools.nsc.Main -nowarn -release 17 -usejavacp -classpath "$out/classes" \
    -d "$out/classes" $scala_sources
fi
jar --create --file "$jar.tmp" -C "$out/classes" .
mv "$jar.tmp" "$jar"
rm -rf "$out/classes"
