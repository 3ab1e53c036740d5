//! Files the user dropped or picked, copied into the engine's artifact store for a job or
//! a group (off the async runtime: jars can be large).

use std::path::PathBuf;

use sparkdeck_engine::artifacts::Uploaded;
use sparkdeck_engine::{Engine, EngineError};

use crate::error::IpcError;

pub(crate) struct Staged {
    pub jars: Vec<Uploaded>,
    pub files: Vec<Uploaded>,
    pub py_files: Vec<Uploaded>,
}

pub(crate) async fn stage_files(engine: &Engine, jars: Vec<String>, files: Vec<String>, py_files: Vec<String>) -> Result<Staged, IpcError> {
    let engine = engine.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut budget = engine.max_upload_bytes();
        let mut stage = |field: &str, paths: Vec<String>| -> Result<Vec<Uploaded>, EngineError> {
            paths.iter().map(|p| engine.upload_local_file(field, &PathBuf::from(p), &mut budget)).collect()
        };
        Ok::<_, EngineError>(Staged { jars: stage("jars", jars)?, files: stage("files", files)?, py_files: stage("pyFiles", py_files)? })
    })
    .await
    .map_err(|e| IpcError::internal(format!("copying the files failed: {e}")))?
    .map_err(IpcError::from)
}
