//! Engine events re-emitted as one typed Tauri event.

use serde::{Deserialize, Serialize};
use sparkdeck_engine::EngineEvent;
use tauri::AppHandle;
use tauri_specta::Event;
use tokio::sync::broadcast::{self, error::RecvError};

/// Every committed change in the engine, as it happens.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EngineChanged(pub EngineEvent);

/// Forwards engine events to every window until the engine's bus closes.
pub(crate) fn forward(app: AppHandle, mut events: broadcast::Receiver<EngineEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = EngineChanged(event).emit(&app) {
                        tracing::warn!(%error, "cannot emit engine event");
                    }
                }
                // The UI re-reads what it shows on its next query; nothing to replay.
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "UI event forwarding lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}
