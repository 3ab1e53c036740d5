//! Sparkdeck's desktop shell. Thin by design: commands call the engine and map its errors,
//! engine events are re-emitted as Tauri events. All logic lives in `sparkdeck-engine`.

mod bindings;
mod commands;
mod error;
mod events;

use sparkdeck_engine::{Engine, EngineConfig};
use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

pub use bindings::{export_typescript, specta_builder};
pub use commands::files::FilePicker;
pub use error::IpcError;

pub fn run() {
    init_tracing();
    let builder = specta_builder();
    let invoke_handler = builder.invoke_handler();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(invoke_handler)
        .setup(move |app| {
            builder.mount_events(app);
            app.manage(native_file_picker(app.handle().clone()));
            let config = EngineConfig::new(None);
            match tauri::async_runtime::block_on(Engine::open(config)) {
                Ok(engine) => {
                    events::forward(app.handle().clone(), engine.subscribe());
                    app.manage(engine);
                    Ok(())
                }
                Err(error) => {
                    // Shown before anything else: e.g. another Sparkdeck holds the data dir.
                    tracing::error!(%error, "engine failed to start");
                    app.dialog()
                        .message(error.to_string())
                        .title("Sparkdeck cannot start")
                        .kind(MessageDialogKind::Error)
                        .blocking_show();
                    Err(Box::new(error))
                }
            }
        })
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(error) = result {
        eprintln!("sparkdeck: {error}");
        std::process::exit(1);
    }
}

/// The GTK/native "open file" dialog, answered asynchronously.
fn native_file_picker(app: tauri::AppHandle) -> FilePicker {
    FilePicker::new(move |title| {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        app.dialog().file().set_title(title).pick_file(move |picked| {
            let _ = sender.send(picked.and_then(|p| p.into_path().ok()));
        });
        receiver
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
