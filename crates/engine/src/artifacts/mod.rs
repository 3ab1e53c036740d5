//! Uploaded jars, files and Python files, stored content-addressed under
//! `<data dir>/artifacts/<sha256>`. An upload streams into a temp file in the same
//! directory while it is hashed; only a submit that passes validation renames it into
//! place (so a refused submit leaves nothing behind), and the same content uploaded
//! twice is stored once. Jobs see their files under the names they were uploaded with,
//! as hard links in the job's directory.

mod upload;

use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::{ArtifactRef, JobSpec};

pub use upload::{Upload, Uploaded, ZIP_MAGIC, validate_file_name};
pub(crate) use upload::{FileKind, check_uploads};

/// Where each kind of a job's files is linked in its directory.
pub(crate) const JARS_DIR: &str = "jars";
pub(crate) const FILES_DIR: &str = "files";
pub(crate) const PY_FILES_DIR: &str = "pyfiles";

impl Engine {
    /// Starts receiving one file of a submit form. The name is checked first, so a bad
    /// name is refused before any byte is stored.
    pub fn begin_upload(&self, field: &str, file_name: &str) -> Result<Upload> {
        validate_file_name(field, file_name)?;
        let dir = self.artifacts_dir();
        fs::create_dir_all(&dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
        let temp = tempfile::Builder::new()
            .prefix(".upload-")
            .tempfile_in(&dir)
            .map_err(|e| EngineError::io("cannot create an upload file", e))?;
        Ok(Upload::new(field, file_name, temp))
    }

    /// Takes a file from this machine (the desktop app's dropped or picked files) as an
    /// upload named like the file. `budget` is what is left of the submit's size limit.
    pub fn upload_local_file(&self, field: &str, path: &Path, budget: &mut u64) -> Result<Uploaded> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let mut upload = self.begin_upload(field, name)?;
        let mut file = fs::File::open(path)
            .map_err(|e| EngineError::invalid(field, format!("cannot read {}: {e}", path.display())))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf)
                .map_err(|e| EngineError::invalid(field, format!("cannot read {}: {e}", path.display())))?;
            if n == 0 {
                break;
            }
            *budget = budget.checked_sub(n as u64).ok_or_else(|| {
                EngineError::invalid(field, format!("the files are larger than the {} bytes allowed", self.max_upload_bytes()))
            })?;
            upload.write(&buf[..n])?;
        }
        upload.finish()
    }

    /// Reads local jar files into uploads (off the async threads: jars can be large).
    pub(crate) async fn stage_jar_paths(&self, paths: &[PathBuf]) -> Result<Vec<Uploaded>> {
        if let Some(bad) = paths.iter().find(|p| !p.is_absolute()) {
            return Err(EngineError::invalid("jarPaths", format!("'{}' is not an absolute path", bad.display())));
        }
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.clone();
        let paths = paths.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut budget = engine.max_upload_bytes();
            paths.iter().map(|p| engine.upload_local_file("jarPaths", p, &mut budget)).collect()
        })
        .await
        .map_err(|e| EngineError::Conflict(format!("cannot read the jar files: {e}")))?
    }

    /// The largest upload (all files of one submit together) the engine accepts.
    pub fn max_upload_bytes(&self) -> u64 {
        self.config().max_upload_bytes
    }

    pub(crate) fn artifacts_dir(&self) -> PathBuf {
        self.data_dir().join("artifacts")
    }

    /// Starts storing the uploads of one change (a new job or group, a rebuilt jar). Call
    /// with the artifact lock held, and keep the lock until the result is dropped.
    pub(crate) fn storing_uploads(&self) -> StoredUploads<'_> {
        StoredUploads { engine: self, added: Vec::new(), kept: false }
    }

    /// Links a stored artifact into `dir` under its uploaded name.
    pub(crate) fn link_artifact(&self, artifact: &ArtifactRef, dir: &Path) -> Result<()> {
        let stored = self.artifacts_dir().join(&artifact.sha256);
        if !stored.exists() {
            return Err(EngineError::Conflict(format!("the stored file '{}' is gone", artifact.name)));
        }
        fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
        let link = dir.join(&artifact.name);
        fs::hard_link(&stored, &link)
            .or_else(|_| fs::copy(&stored, &link).map(|_| ()))
            .map_err(|e| EngineError::io(format!("cannot place {}", link.display()), e))
    }

    /// Links every file of a spec into a job's directory, each kind in its own folder
    /// (`jars/`, `files/`, `pyfiles/`). Call with the artifact lock held.
    pub(crate) fn link_spec(&self, spec: &JobSpec, job_dir: &Path) -> Result<()> {
        for (sub, refs) in [(JARS_DIR, &spec.jars), (FILES_DIR, &spec.files), (PY_FILES_DIR, &spec.py_files)] {
            for artifact in refs {
                self.link_artifact(artifact, &job_dir.join(sub))?;
            }
        }
        Ok(())
    }

    /// Removes what a crash left of uploads in progress (`.upload-*` temporaries): at open,
    /// when no upload of this data directory can be running.
    pub(crate) fn remove_stale_uploads(&self) {
        let Ok(entries) = fs::read_dir(self.artifacts_dir()) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".upload-") {
                let path = entry.path();
                match fs::remove_file(&path) {
                    Ok(()) => tracing::info!(path = %path.display(), "removed an upload left by a crash"),
                    Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove an upload left by a crash"),
                }
            }
        }
    }

    /// Removes stored artifacts no job uses any more. Call with the artifact lock held.
    pub(crate) fn remove_artifacts(&self, shas: &[String]) {
        for sha in shas {
            if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                let path = self.artifacts_dir().join(sha);
                if let Err(e) = fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove unused artifact");
                }
            }
        }
    }
}

/// The uploads one change moved into the store. Unless the change is committed
/// ([`StoredUploads::keep`]), the artifacts it added are removed when this is dropped: no
/// row references them (nothing else stores references while the artifact lock is held).
pub(crate) struct StoredUploads<'a> {
    engine: &'a Engine,
    added: Vec<String>,
    kept: bool,
}

impl StoredUploads<'_> {
    /// Moves an upload into the store (unless the same content is there already).
    pub(crate) fn store(&mut self, upload: Uploaded) -> Result<ArtifactRef> {
        let stored = self.engine.artifacts_dir().join(&upload.sha256);
        let reference = upload.reference();
        if !stored.exists() {
            upload.persist(&stored)?;
            self.added.push(reference.sha256.clone());
        }
        Ok(reference)
    }

    /// The change that references the uploads was committed: they stay.
    pub(crate) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for StoredUploads<'_> {
    fn drop(&mut self) {
        if !self.kept && !self.added.is_empty() {
            tracing::info!(count = self.added.len(), "removing the uploads of a change that was not committed");
            self.engine.remove_artifacts(&self.added);
        }
    }
}
