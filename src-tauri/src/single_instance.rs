//! One app per data directory: a second start hands its arguments to the running app over
//! the session D-Bus and exits before it opens the engine, instead of failing on the data
//! directory's lock; the running app shows and focuses its main window, and files the second
//! start was given (a script dropped on the launcher icon) open in its job form. The D-Bus name
//! carries a hash of the data directory, so apps on different data directories (e.g.
//! `SPARKDECK_DATA_DIR`) still run side by side. Without a session bus every start runs and
//! the engine's lock is what refuses a second one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

/// Files a second start of the app was given, for the main window to submit as a job (as if
/// they were dropped on it): absolute paths.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct FilesOpened(pub Vec<String>);

/// The plugin, registered first so a second start ends before any other plugin or window;
/// None (every start runs, the lock decides) when the session bus address cannot be
/// parsed, which the plugin would answer with a panic.
pub fn plugin<R: Runtime>(identifier: &str, data_dir: &Path) -> Option<tauri::plugin::TauriPlugin<R>> {
    let address = std::env::var(BUS_ADDRESS_ENV).ok();
    if !usable_bus_address(address.as_deref()) {
        let address = address.as_deref().unwrap_or_default();
        tracing::warn!(address, "{BUS_ADDRESS_ENV} cannot be parsed: a second start is not folded into this one");
        return None;
    }
    Some(tauri_plugin_single_instance::Builder::new().dbus_id(dbus_id(identifier, data_dir)).callback(on_second_start).build())
}

const BUS_ADDRESS_ENV: &str = "DBUS_SESSION_BUS_ADDRESS";

/// Whether the session bus address (the variable's value; unset means the default socket
/// in the runtime directory) is one D-Bus can parse.
pub fn usable_bus_address(value: Option<&str>) -> bool {
    #[cfg(target_os = "linux")]
    {
        value.is_none_or(|v| v.parse::<zbus::Address>().is_ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = value;
        true
    }
}

/// `<identifier>.d<16 hex digits of the data directory's SHA-256>` (the plugin appends
/// `.SingleInstance`); the `d` keeps the element from starting with a digit, which D-Bus
/// names forbid.
pub fn dbus_id(identifier: &str, data_dir: &Path) -> String {
    // Lexically absolute, not canonical: the first start may run before the directory exists.
    let path = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    format!("{identifier}.d{}", &hex::encode(digest)[..16])
}

/// The files a second start was given (a jar dropped on the launcher icon): its arguments
/// after the program that are not options, relative ones resolved against its directory.
pub fn forwarded_files(argv: &[String], cwd: &str) -> Vec<PathBuf> {
    argv.iter().skip(1).filter(|arg| !arg.starts_with('-')).map(|arg| Path::new(cwd).join(arg)).collect()
}

fn on_second_start<R: Runtime>(app: &AppHandle<R>, argv: Vec<String>, cwd: String) {
    let files = forwarded_files(&argv, &cwd);
    tracing::info!(?files, "Sparkdeck was started again: showing its window");
    let Some(window) = app.get_webview_window("main") else { return };
    for (step, result) in [("unminimize", window.unminimize()), ("show", window.show()), ("focus", window.set_focus())] {
        if let Err(error) = result {
            tracing::warn!(%error, step, "cannot bring the main window forward");
        }
    }
    if files.is_empty() {
        return;
    }
    let paths = files.iter().map(|f| f.to_string_lossy().into_owned()).collect();
    if let Err(error) = FilesOpened(paths).emit_to(app, "main") {
        tracing::warn!(%error, ?files, "cannot hand the files of a second start to the main window");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dbus_id_is_a_valid_name_that_differs_by_data_directory() {
        let a = dbus_id("dev.sparkdeck.app", Path::new("/home/ann/.local/share/sparkdeck"));
        assert_eq!(a, dbus_id("dev.sparkdeck.app", Path::new("/home/ann/.local/share/sparkdeck")));
        assert_ne!(a, dbus_id("dev.sparkdeck.app", Path::new("/tmp/other")));
        let last = a.rsplit('.').next().unwrap_or_default();
        assert!(a.starts_with("dev.sparkdeck.app.d") && last.len() == 17, "{a}");
        assert!(last.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
    }

    #[test]
    fn a_relative_data_directory_names_the_same_app_as_its_absolute_path() {
        let cwd = std::env::current_dir().unwrap_or_default();
        assert_eq!(dbus_id("x", Path::new("data")), dbus_id("x", &cwd.join("data")));
    }

    #[test]
    fn a_bus_address_that_does_not_parse_is_not_usable() {
        assert!(usable_bus_address(None));
        assert!(usable_bus_address(Some("unix:path=/run/user/1000/bus")));
        assert!(!usable_bus_address(Some("garbage")));
    }

    #[test]
    fn forwarded_files_skip_the_program_and_options_and_resolve_relative_paths() {
        let argv = ["/usr/bin/sparkdeck", "--verbose", "job.py", "/srv/app.jar"].map(String::from);
        assert_eq!(forwarded_files(&argv, "/home/ann"), [PathBuf::from("/home/ann/job.py"), PathBuf::from("/srv/app.jar")]);
        assert!(forwarded_files(&argv[..1], "/").is_empty());
    }
}
