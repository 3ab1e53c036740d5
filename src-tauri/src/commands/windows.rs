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

type OpenExternalFn = dyn Fn(&str, &tauri::Url, &str) -> Result<(), String> + Send + Sync;

/// Opens or focuses a window showing a page that is not the app's: (label, URL, title).
/// Such a window has no IPC (the capabilities grant nothing to remote origins).
pub struct ExternalWindowOpener(Box<OpenExternalFn>);

impl ExternalWindowOpener {
    pub fn new(open: impl Fn(&str, &tauri::Url, &str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self(Box::new(open))
    }
}

/// The label of a job's (or group driver's) Spark UI window: one per job.
pub fn spark_ui_window_label(job_id: &str) -> String {
    format!("spark-ui-{job_id}")
}

/// The label of an ended job's History Server window: one per job, apart from its live
/// UI's (a live window left open shows the gone application; this one its history).
pub fn spark_history_window_label(job_id: &str) -> String {
    format!("spark-history-{job_id}")
}

/// Opens (or focuses) the native window showing a job's or group driver's Spark UI: the
/// live one while it runs, Spark's History Server page of it once it ended. The URL is
/// the engine's (`live_spark_ui`, `history_url`), never the caller's: a job whose UI is
/// off or not up yet, or that left no event log, is a conflict saying so.
#[tauri::command]
#[specta::specta]
pub async fn open_spark_ui(
    opener: State<'_, ExternalWindowOpener>,
    engine: State<'_, sparkdeck_engine::Engine>,
    job_id: String,
) -> Result<(), IpcError> {
    let job = engine.get_job(&job_id).await?;
    let (url, label, title) = match engine.live_spark_ui(&job.job_id).await? {
        Some(url) => (url, spark_ui_window_label(&job.job_id), format!("Spark UI — {} — Sparkdeck", job.job_name)),
        // Starts the History Server when none runs (seconds, once).
        None if job.state.is_terminal() => {
            (engine.history_url(&job.job_id).await?, spark_history_window_label(&job.job_id), format!("Spark History — {} — Sparkdeck", job.job_name))
        }
        None => {
            let why = "its driver has not bound it yet, or it runs with spark.ui.enabled=false";
            return Err(sparkdeck_engine::EngineError::Conflict(format!("job '{}' has no live Spark UI: {why}", job.job_name)).into());
        }
    };
    let url = tauri::Url::parse(&url).map_err(|e| IpcError::internal(format!("the engine's Spark UI address '{url}' is not a URL: {e}")))?;
    (opener.0)(&label, &url, &title).map_err(IpcError::internal)
}
