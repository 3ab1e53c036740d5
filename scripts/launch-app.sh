#!/usr/bin/env bash
# Launches the desktop app. Without a display (a server, CI, SSH) it runs inside a
# virtual X display instead, and says so.
set -euo pipefail
app=$1
export GSETTINGS_BACKEND=${GSETTINGS_BACKEND:-memory}
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$app"
fi
echo "No display found: running Sparkdeck inside a virtual display (xvfb-run)." >&2
echo "Use 'make server' for the headless REST API instead." >&2
exec xvfb-run -a -s "-screen 0 1280x800x24" "$app"
