#!/usr/bin/env bash
# Installs everything Sparkdeck needs on a fresh Debian machine, skipping what is present:
# Debian packages for Tauri/WebKitGTK and the Xvfb test display, Java 17 (checked),
# the Python virtualenv with pyspark for the embedded Spark and the test clients (schemathesis,
# pylivy, sparkmagic), and the UI's npm packages.
# Idempotent; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
  libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev libayatana-appindicator3-dev
  librsvg2-dev libxdo-dev file patchelf xvfb xauth xdotool webkit2gtk-driver imagemagick
  x11-utils x11-xserver-utils python3-gi gir1.2-gtk-3.0 dbus-daemon python3-venv sqlite3 curl
  lintian desktop-file-utils jq dpkg-dev libkrb5-dev)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Java 17+ is required by Spark 4.
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
  log "installing Java 17"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
fi
log "java $(java_major) at $(command -v java)"

# The embedded Spark: pyspark ships a full Spark distribution. pandas<3 avoids Spark's warning.
VENV=${SPARKDECK_PYTHON_ENV:-$PWD/.venv}
if [ ! -x "$VENV/bin/spark-submit" ] && [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pyspark' 2>/dev/null; then
  log "creating Python virtualenv with pyspark 4.3.0 at $VENV (about a minute)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q 'pyspark==4.3.0' 'pandas<3'
fi
log "spark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)')"

# Test-time tools: schemathesis drives the platform's OpenAPI document against the server
# (crates/server/tests/schemathesis.rs).
SCHEMATHESIS_VERSION=4.32.5
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

# Livy clients the Livy API's tests drive (crates/server/tests/livy_clients/): pylivy, and
# sparkmagic's client library (its Kerberos dependency builds against libkrb5-dev).
LIVY_CLIENTS=("livy==0.8.0" "sparkmagic==0.23.0")
if ! "$VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("livy") == "0.8.0" and m.version("sparkmagic") == "0.23.0"' 2>/dev/null; then
  log "installing the Livy clients: ${LIVY_CLIENTS[*]}"
  "$VENV/bin/pip" install -q "${LIVY_CLIENTS[@]}"
fi

# Airflow's Livy provider, for the LivyOperator test (livy_clients.rs): a venv of its own
# (Airflow pins its own SQLAlchemy, pydantic, ...; about 300 MB, a minute to install).
AIRFLOW_VENV=$PWD/.venv-airflow
AIRFLOW_LIVY_VERSION=4.6.4
if ! "$AIRFLOW_VENV/bin/python" -c "import importlib.metadata as m; assert m.version('apache-airflow-providers-apache-livy') == '$AIRFLOW_LIVY_VERSION'" 2>/dev/null; then
  log "installing Airflow's Livy provider $AIRFLOW_LIVY_VERSION into $AIRFLOW_VENV (about a minute)"
  python3 -m venv "$AIRFLOW_VENV"
  "$AIRFLOW_VENV/bin/pip" install -q "apache-airflow-providers-apache-livy==$AIRFLOW_LIVY_VERSION"
fi

# The interactive driver's JVM side (the cloud.ilum.job.Job contract), compiled with javac.
command -v javac >/dev/null || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
bash driver/build-jar.sh "$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"

# WebDriver for the desktop end-to-end tests (tauri-driver drives WebKitWebDriver).
if ! command -v tauri-driver >/dev/null; then
  log "installing tauri-driver (about 80 s)"
  cargo install tauri-driver --locked --quiet
fi

# Front end.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  log "installing npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
log "setup complete"
