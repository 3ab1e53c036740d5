//! Sparkdeck's desktop shell. Thin by design: commands call the engine and map its errors,
//! engine events are re-emitted as Tauri events. All logic lives in `sparkdeck-engine`.

mod bindings;
mod commands;
mod error;
mod events;
mod quit;
mod rest_server;
mod single_instance;
mod webview;

use sparkdeck_engine::{Engine, EngineConfig};
use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

pub use bindings::{export_typescript, specta_builder};
pub use commands::files::{FilePicker, PickRequest};
pub use commands::windows::{ExternalWindowOpener, WindowOpener};
pub use error::IpcError;
pub use rest_server::RestServer;

pub fn run() {
    init_tracing();
    webview::set_lean_environment();
    let builder = specta_builder();
    let invoke_handler = builder.invoke_handler();
    let context = tauri::generate_context!("../tauri.conf.json");
    let data_dir = sparkdeck_engine::data_dir::resolve(None);
    let mut app = tauri::Builder::default();
    if let Some(single_instance) = single_instance::plugin(&context.config().identifier, &data_dir) {
        app = app.plugin(single_instance);
    }
    let result = app
        .plugin(main_window_state())
        .plugin(tauri_plugin_dialog::init())
        // "Job finished" notifications use the web Notification API; nothing else is granted.
        .on_permission_request(|_, kind| match kind {
            tauri::webview::PermissionKind::Notifications => tauri::webview::PermissionResponse::Allow,
            _ => tauri::webview::PermissionResponse::Default,
        })
        .invoke_handler(invoke_handler)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
            {
                quit::on_close_requested(window.app_handle(), api);
            }
        })
        .setup(move |app| {
            builder.mount_events(app);
            for window in app.webview_windows().values() {
                webview::make_lean(window);
            }
            app.manage(native_file_picker(app.handle().clone()));
            app.manage(native_windows(app.handle().clone()));
            app.manage(native_external_windows(app.handle().clone()));
            let opened = match engine_config() {
                Ok(config) => tauri::async_runtime::block_on(Engine::open(config)).map_err(|e| e.to_string()),
                Err(error) => Err(error),
            };
            match opened {
                Ok(engine) => {
                    events::forward(app.handle().clone(), engine.subscribe());
                    let server = rest_server::RestServer::default();
                    let rest = engine.settings().rest_server;
                    if let Err(error) = tauri::async_runtime::block_on(server.apply(&engine, rest.enabled, rest.port)) {
                        // Shown in Settings; the app itself works without it.
                        tracing::warn!(%error, "built-in REST server not started");
                    }
                    let livy = engine.settings().livy;
                    if let Err(error) = tauri::async_runtime::block_on(server.apply_livy(&engine, livy.enabled, livy.port)) {
                        tracing::warn!(%error, "built-in Livy port not started");
                    }
                    app.manage(server);
                    app.manage(engine);
                    Ok(())
                }
                Err(error) => {
                    // Shown before anything else: e.g. another Sparkdeck holds the data dir.
                    tracing::error!(%error, "engine failed to start");
                    app.dialog()
                        .message(&error)
                        .title("Sparkdeck cannot start")
                        .kind(MessageDialogKind::Error)
                        .blocking_show();
                    Err(error.into())
                }
            }
        })
        .run(context);
    if let Err(error) = result {
        eprintln!("sparkdeck: {error}");
        std::process::exit(1);
    }
}

/// The main window's size and position (and whether it was maximized) come back at the next
/// start; saved in the app's config directory when the app exits, e.g. after the quit dialog.
/// Job and group windows open at their default size.
fn main_window_state() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_window_state::StateFlags;
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .with_filter(|label| label == "main")
        .build()
}

/// The engine's configuration: the platform's data directory, and the driver lease from
/// `SPARKDECK_DRIVER_LEASE_SECONDS` when set.
fn engine_config() -> Result<EngineConfig, String> {
    let mut config = EngineConfig::new(None);
    if let Ok(text) = std::env::var(sparkdeck_engine::config::DRIVER_LEASE_ENV) {
        config.driver_lease = sparkdeck_engine::config::parse_driver_lease(&text)?;
    }
    Ok(config)
}

/// The GTK/native "open file" (or "save file") dialog, answered asynchronously.
fn native_file_picker(app: tauri::AppHandle) -> FilePicker {
    FilePicker::new(move |request: PickRequest| {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let mut dialog = app.dialog().file().set_title(request.title);
        if !request.extensions.is_empty() {
            let extensions: Vec<&str> = request.extensions.iter().map(String::as_str).collect();
            dialog = dialog.add_filter(extensions.join(", "), &extensions);
        }
        let to_paths = |files: Vec<tauri_plugin_dialog::FilePath>| files.into_iter().filter_map(|f| f.into_path().ok()).collect();
        if let Some(file_name) = request.save_as {
            dialog.set_file_name(file_name).save_file(move |picked| {
                let _ = sender.send(picked.map(|f| to_paths(vec![f])).unwrap_or_default());
            });
        } else if request.folder {
            dialog.pick_folder(move |picked| {
                let _ = sender.send(picked.map(|f| to_paths(vec![f])).unwrap_or_default());
            });
        } else if request.multiple {
            dialog.pick_files(move |picked| {
                let _ = sender.send(picked.map(to_paths).unwrap_or_default());
            });
        } else {
            dialog.pick_file(move |picked| {
                let _ = sender.send(picked.map(|f| to_paths(vec![f])).unwrap_or_default());
            });
        }
        receiver
    })
}

/// Windows open on a route of the same UI (`index.html#<route>`); an open one is focused.
fn native_windows(app: tauri::AppHandle) -> WindowOpener {
    WindowOpener::new(move |label, route, title| {
        if let Some(window) = app.get_webview_window(label) {
            return window.set_focus().map_err(|e| e.to_string());
        }
        tauri::WebviewWindowBuilder::new(&app, label, tauri::WebviewUrl::App(format!("index.html#{route}").into()))
            .title(title)
            .inner_size(980.0, 720.0)
            .min_inner_size(640.0, 420.0)
            .build()
            .map(|window| webview::make_lean(&window))
            .map_err(|e| format!("cannot open the window: {e}"))
    })
}

/// Other pages (a job's Spark UI) open in windows of their own; an open one is focused.
/// They get no IPC: the capabilities apply to the app's own pages only.
fn native_external_windows(app: tauri::AppHandle) -> ExternalWindowOpener {
    ExternalWindowOpener::new(move |label, url, title| {
        if let Some(window) = app.get_webview_window(label) {
            return window.set_focus().map_err(|e| e.to_string());
        }
        tauri::WebviewWindowBuilder::new(&app, label, tauri::WebviewUrl::External(url.clone()))
            .title(title)
            .inner_size(1200.0, 800.0)
            .min_inner_size(640.0, 420.0)
            .build()
            .map(|window| webview::make_lean(&window))
            .map_err(|e| format!("cannot open the window: {e}"))
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
