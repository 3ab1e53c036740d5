//! Uploaded jars, files and Python files, stored content-addressed under
//! `<data dir>/artifacts/<sha256>`. An upload streams into a temp file in the same
//! directory while it is hashed; only a submit that passes validation renames it into
//! place (so a refused submit leaves nothing behind), and the same content uploaded
//! twice is stored once. Jobs see their files under the names they were uploaded with,
//! as hard links in the job's directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::ArtifactRef;

const MAX_FILE_NAME: usize = 255;
/// The first bytes of every zip (and so jar) file.
pub const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// A file name as uploaded must be usable as-is inside the job's directory: no path
/// separators, no `.`/`..`, no NUL or control characters.
pub fn validate_file_name(field: &str, name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        Some("has no file name")
    } else if name == "." || name == ".." || name.contains("..") {
        Some("may not contain '..'")
    } else if name.contains(['/', '\\']) {
        Some("may not contain a path separator")
    } else if name.contains(',') {
        Some("may not contain ',' (Spark separates file lists with commas)")
    } else if name.contains(char::is_control) {
        Some("may not contain NUL or control characters")
    } else if name.len() > MAX_FILE_NAME {
        Some("is longer than 255 bytes")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(EngineError::invalid(field, format!("file name '{}' {problem}", name.escape_default()))),
        None => Ok(()),
    }
}

/// An upload in progress (or finished but not yet committed to the store).
pub struct Upload {
    field: String,
    name: String,
    temp: NamedTempFile,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
}

/// A finished upload: hashed, still in its temp file until a submit commits it.
pub struct Uploaded {
    pub field: String,
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// Up to the first 4 bytes, to check a jar's zip signature.
    pub head: Vec<u8>,
    temp: NamedTempFile,
}

impl Upload {
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if self.head.len() < 4 {
            let take = (4 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.temp.write_all(chunk).map_err(|e| EngineError::io(format!("cannot store upload '{}'", self.name), e))
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(mut self) -> Result<Uploaded> {
        self.temp.flush().map_err(|e| EngineError::io("cannot store upload", e))?;
        Ok(Uploaded {
            field: self.field,
            name: self.name,
            sha256: hex::encode(self.hasher.finalize()),
            size: self.size,
            head: self.head,
            temp: self.temp,
        })
    }
}

impl Uploaded {
    pub fn reference(&self) -> ArtifactRef {
        ArtifactRef { name: self.name.clone(), sha256: self.sha256.clone(), size: self.size }
    }
}

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
        Ok(Upload {
            field: field.to_string(),
            name: file_name.to_string(),
            temp,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(4),
        })
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

    /// The largest upload (all files of one submit together) the engine accepts.
    pub fn max_upload_bytes(&self) -> u64 {
        self.config().max_upload_bytes
    }

    pub(crate) fn artifacts_dir(&self) -> PathBuf {
        self.data_dir().join("artifacts")
    }

    /// Moves an upload into the store (unless the same content is there already) and
    /// links it into `dir` under its uploaded name. Call with the artifact lock held.
    pub(crate) fn commit_upload(&self, upload: Uploaded, dir: &Path) -> Result<()> {
        let artifact = self.store_upload(upload)?;
        self.link_artifact(&artifact, dir)
    }

    /// Moves an upload into the store (unless the same content is there already). Call
    /// with the artifact lock held.
    pub(crate) fn store_upload(&self, upload: Uploaded) -> Result<ArtifactRef> {
        let stored = self.artifacts_dir().join(&upload.sha256);
        if !stored.exists() {
            upload
                .temp
                .persist(&stored)
                .map_err(|e| EngineError::io(format!("cannot store artifact {}", stored.display()), e.error))?;
        }
        Ok(ArtifactRef { name: upload.name, sha256: upload.sha256, size: upload.size })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape() {
        assert!(validate_file_name("jars", "my-job_2.13-1.0.jar").is_ok());
        assert!(validate_file_name("pyFiles", "main.py").is_ok());
        for bad in ["", ".", "..", "../../x.jar", "a/b.jar", "a\\b.jar", "x\0.jar", "a\nb", "..jar", "a,b.py"] {
            let e = validate_file_name("jars", bad).unwrap_err();
            assert_eq!(e.field(), Some("jars"), "{bad:?}");
        }
        assert!(validate_file_name("files", &"a".repeat(256)).is_err());
    }
}
