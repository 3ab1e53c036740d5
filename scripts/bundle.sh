#!/usr/bin/env bash
# Builds the Debian package: the release binaries of the app and the server, then the .deb
# (cargo-deb, from `[package.metadata.deb]` in src-tauri/Cargo.toml) at
# target/bundle/sparkdeck_<version>_<arch>.deb. `make bundle` runs it after setup and the UI
# build (the app embeds ui/dist); driver/build/sparkdeck-driver.jar comes from setup.
#
# Tauri's own bundler is not used: its CLI takes the folder of tauri.conf.json (the
# repository root) as the app crate, and the root Cargo.toml is the workspace's.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;35m[bundle]\033[0m %s\n' "$*"; }

[ -f ui/dist/index.html ] || { echo "ui/dist is missing: run \`make bundle\` (it builds the UI first)" >&2; exit 1; }
[ -f driver/build/sparkdeck-driver.jar ] || { echo "driver/build/sparkdeck-driver.jar is missing: run \`make setup\`" >&2; exit 1; }

if ! cargo deb --version >/dev/null 2>&1; then
  log "installing cargo-deb (about 5 min, once)"
  cargo install cargo-deb --locked --quiet
fi

started=$SECONDS
log "release build of the app and the server"
# custom-protocol: the app serves its embedded UI as a release app (what `tauri build` turns on).
cargo build --release --locked -p sparkdeck-app -p sparkdeck-server --features sparkdeck-app/custom-protocol
built=$SECONDS
log "release build: $((built - started)) s"

mkdir -p target/bundle
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
deb="target/bundle/sparkdeck_${version}_$(dpkg --print-architecture).deb"
rm -f "$deb"
gzip -9n <packaging/deb/changelog >target/bundle/changelog.gz
cargo deb -p sparkdeck-app --no-build --locked --output "$deb"
log "package: $((SECONDS - built)) s; $deb ($(du -h "$deb" | cut -f1))"
