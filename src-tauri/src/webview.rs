//! Settings that keep each window's WebKit process small. Sparkdeck's pages are forms,
//! tables and text: drawn without GPU compositing and with a document-viewer cache they look
//! the same and the idle web process drops from ~260 to ~180 MiB RSS under software
//! rendering (`benches/desktop.sh`). `SPARKDECK_WEBVIEW_GPU=1` keeps WebKit's defaults.

use tauri::{Runtime, WebviewWindow};

pub fn make_lean<R: Runtime>(window: &WebviewWindow<R>) {
    if std::env::var_os("SPARKDECK_WEBVIEW_GPU").is_some_and(|v| v == "1") {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
        let result = window.with_webview(|webview| {
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(error) = result {
            tracing::warn!(%error, "cannot tune the webview");
        }
    }
}
