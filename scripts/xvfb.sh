# Sourced: starts a private Xvfb display (1280x800) and exports DISPLAY; `xvfb_stop` ends it.
xvfb_start() {
  local n
  for n in $(seq 90 130); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
  done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  export DISPLAY=":$n" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1
  for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "Xvfb did not start on :$n" >&2
  return 1
}

xvfb_stop() {
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null
  return 0
}

# Waits up to $2 seconds for a window named exactly $1; prints its id.
wait_window() {
  local id
  for _ in $(seq $(( $2 * 5 ))); do
    id=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | head -n1 || true)
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.2
  done
  return 1
}

# Counts the distinct colours of a window's screenshot: a blank window has one or two.
window_colours() {
  import -window "$1" -silent png:- | convert png:- -format '%k' info:
}

# Waits up to 15 s for window $1 to be painted (the webview paints after the window maps):
# more than 50 distinct colours. Prints the last count; fails if it stayed blank.
wait_painted() {
  local colours=0
  for _ in $(seq 30); do
    colours=$(window_colours "$1")
    [ "$colours" -gt 50 ] && break
    sleep 0.5
  done
  echo "$colours"
  [ "$colours" -gt 50 ]
}
