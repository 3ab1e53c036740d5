//! Settings that keep each window's WebKit process small. Sparkdeck's pages are forms,
//! tables and text: drawn without GPU compositing and with a document-viewer cache they look
//! the same and the idle web process drops from ~260 to ~180 MiB RSS under software
//! rendering (`benches/desktop.sh`). Drawing without GL, GTK and WebKit need no GL context
//! and no DMA-BUF renderer either: turning both off before GTK starts takes another ~10 MiB
//! PSS off the app and its web process (`benches/memory.sh`). `SPARKDECK_WEBVIEW_GPU=1`
//! keeps WebKit's and GTK's defaults.

use tauri::{Runtime, WebviewWindow};

fn gpu_wanted() -> bool {
    std::env::var_os("SPARKDECK_WEBVIEW_GPU").is_some_and(|v| v == "1")
}

/// The environment GTK and WebKit read at start (inherited by WebKit's processes).
#[cfg(target_os = "linux")]
fn lean_variables(gpu_wanted: bool) -> &'static [(&'static str, &'static str)] {
    if gpu_wanted { &[] } else { &[("GDK_GL", "disable"), ("WEBKIT_DISABLE_DMABUF_RENDERER", "1")] }
}

/// Call first thing in `run`, before GTK starts. A variable the user set is left as it is.
pub fn set_lean_environment() {
    #[cfg(target_os = "linux")]
    for (name, value) in lean_variables(gpu_wanted()) {
        if let Err(error) = webkit2gtk::glib::setenv(name, value, false) {
            tracing::warn!(%error, name, "cannot set");
        }
    }
}

pub fn make_lean<R: Runtime>(window: &WebviewWindow<R>) {
    if gpu_wanted() {
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::lean_variables;

    #[test]
    fn gl_and_dmabuf_are_turned_off_unless_the_gpu_is_wanted() {
        assert_eq!(lean_variables(false), [("GDK_GL", "disable"), ("WEBKIT_DISABLE_DMABUF_RENDERER", "1")]);
        assert!(lean_variables(true).is_empty());
    }
}
