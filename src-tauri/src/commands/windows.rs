//! Opening the app's other windows. The app installs the real window builder at start
//! (commands stay independent of the runtime type); tests install their own.

use tauri::State;

use crate::error::IpcError;

type OpenFn = dyn Fn(&str, &str, &str) -> Result<(), String> + Send + Sync;

/// Opens or focuses a window: (label, route inside the UI, title).
pub struct WindowOpener(Box<OpenFn>);

impl WindowOpener {
    pub fn new(open: impl Fn(&str, &str, &str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self(Box::new(open))
    }
}

/// Opens (or focuses) a job's own window.
#[tauri::command]
#[specta::specta]
pub async fn open_job_window(
    opener: State<'_, WindowOpener>,
    engine: State<'_, sparkdeck_engine::Engine>,
    id: String,
) -> Result<(), IpcError> {
    let job = engine.get_job(&id).await?;
    let title = format!("{} — Sparkdeck", job.job_name);
    (opener.0)(&format!("job-{}", job.job_id), &format!("/job/{}", job.job_id), &title).map_err(IpcError::internal)
}

/// Opens (or focuses) a group's own window.
#[tauri::command]
#[specta::specta]
pub async fn open_group_window(
    opener: State<'_, WindowOpener>,
    engine: State<'_, sparkdeck_engine::Engine>,
    id: String,
) -> Result<(), IpcError> {
    let group = engine.get_group(&id).await?;
    let title = format!("{} — Sparkdeck", group.name);
    (opener.0)(&format!("group-{}", group.id), &format!("/group/{}", group.id), &title).map_err(IpcError::internal)
}
