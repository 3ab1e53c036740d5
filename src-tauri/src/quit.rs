//! Quitting while group drivers run: the main window's close asks whether to stop them or
//! keep them warm for the next start (which re-attaches within their lease); with none
//! running it just closes.

use std::time::Duration;

use sparkdeck_engine::Engine;
use sparkdeck_engine::groups::RunningDrivers;
use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind, MessageDialogResult};

const STOP: &str = "Stop them";
const KEEP: &str = "Keep them warm";
const CANCEL: &str = "Cancel";

/// What the dialog says, or None when nothing runs.
pub fn quit_prompt(running: &RunningDrivers, lease: Duration) -> Option<String> {
    if running.count == 0 {
        return None;
    }
    let drivers = if running.count == 1 { "1 group driver is".to_string() } else { format!("{} group drivers are", running.count) };
    let gib = running.memory_bytes as f64 / f64::from(1u32 << 30);
    let minutes = lease.as_secs().div_ceil(60);
    Some(format!(
        "{drivers} running, using {gib:.1} GiB of memory.\n\nStop them now, or keep them warm: the next start of \
         Sparkdeck picks them up again; they end by themselves after {minutes} min without it."
    ))
}

/// Handles a close request of the main window: asks when drivers run, then quits.
pub fn on_close_requested(app: &tauri::AppHandle, api: &tauri::CloseRequestApi) {
    let Some(engine) = app.try_state::<Engine>().map(|e| e.inner().clone()) else { return };
    api.prevent_close();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let running = engine.running_group_drivers().await.unwrap_or(RunningDrivers { count: 0, memory_bytes: 0 });
        let stop = match quit_prompt(&running, engine.config().driver_lease) {
            None => false,
            Some(text) => {
                let (answer, answered) = tokio::sync::oneshot::channel();
                app.dialog()
                    .message(text)
                    .title("Group drivers are running")
                    .kind(MessageDialogKind::Info)
                    .buttons(MessageDialogButtons::YesNoCancelCustom(STOP.into(), KEEP.into(), CANCEL.into()))
                    .show_with_result(move |choice| {
                        let _ = answer.send(choice);
                    });
                match answered.await.unwrap_or(MessageDialogResult::Cancel) {
                    MessageDialogResult::Yes => true,
                    MessageDialogResult::Custom(label) if label == STOP => true,
                    MessageDialogResult::No => false,
                    MessageDialogResult::Custom(label) if label == KEEP => false,
                    _ => return,
                }
            }
        };
        if stop {
            if let Err(error) = engine.stop_group_drivers().await {
                tracing::error!(%error, "cannot stop every group driver before quitting");
            }
        } else {
            engine.shutdown();
        }
        app.exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_says_how_many_drivers_and_how_much_memory() {
        let lease = Duration::from_secs(600);
        assert_eq!(quit_prompt(&RunningDrivers { count: 0, memory_bytes: 0 }, lease), None);
        let one = quit_prompt(&RunningDrivers { count: 1, memory_bytes: 640 << 20 }, lease).unwrap();
        assert!(one.starts_with("1 group driver is running, using 0.6 GiB of memory."), "{one}");
        assert!(one.contains("after 10 min"), "{one}");
        let three = quit_prompt(&RunningDrivers { count: 3, memory_bytes: 3 << 30 }, lease).unwrap();
        assert!(three.starts_with("3 group drivers are running, using 3.0 GiB"), "{three}");
    }
}
