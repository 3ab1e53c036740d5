//! The TypeScript bindings the UI uses are generated from the Rust commands and types.
//! This test regenerates them and fails when the committed file differs, so a changed
//! command or type cannot reach the UI unnoticed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::path::PathBuf;

#[test]
fn committed_bindings_match_the_rust_commands() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = dir.path().join("bindings.ts");
    sparkdeck_app::export_typescript(&fresh).expect("export bindings");
    let fresh_text = std::fs::read_to_string(&fresh).expect("read fresh bindings");

    if std::env::var_os("SPARKDECK_UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed, &fresh_text).expect("write bindings");
        return;
    }
    let committed_text = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        committed_text == fresh_text,
        "ui/src/lib/bindings.ts is out of date with the Rust commands; regenerate it with\n  \
         SPARKDECK_UPDATE_BINDINGS=1 cargo test -p sparkdeck-app --test bindings"
    );
}
