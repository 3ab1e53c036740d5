# The two commands a newcomer needs (both install what is missing first):
#   make run    set up and launch the desktop app
#   make test   set up and run every test
# Others: make server (headless REST API), make bundle (the .deb, in target/bundle/),
#   make package-test (the .deb checked and its extracted binaries run),
#   make screenshots, make bindings, make bench.

.PHONY: setup ui run server bundle package-test test screenshots bindings bench

setup:
	bash scripts/setup.sh

ui: setup
	cd ui && npm run build

run: ui
	cargo build -p sparkdeck-app
	bash scripts/launch-app.sh target/debug/sparkdeck

server: setup
	cargo run -p sparkdeck-server --

bundle: ui
	bash scripts/bundle.sh

package-test: bundle
	bash tests/package/deb.sh target/bundle/sparkdeck_$$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)_$$(dpkg --print-architecture).deb

test:
	bash scripts/test.sh

screenshots: ui
	cargo build -p sparkdeck-app
	bash scripts/screenshots.sh docs/screenshots

bindings:
	SPARKDECK_UPDATE_BINDINGS=1 cargo test -p sparkdeck-app --test bindings

bench: ui
	cargo bench -p sparkdeck-engine --bench jobs
	cargo bench -p sparkdeck-engine --bench schedules
	cargo bench -p sparkdeck-engine --bench stages
	cargo bench -p sparkdeck-engine --bench history
	cargo bench -p sparkdeck-server --bench groups
	cargo bench -p sparkdeck-server --bench livy
	cargo build --release -p sparkdeck-app
	bash benches/desktop.sh target/release/sparkdeck
	bash benches/memory.sh target/release/sparkdeck
	bash benches/crash_soak.sh 100
