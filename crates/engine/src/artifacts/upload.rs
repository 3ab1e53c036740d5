//! One uploaded file: streamed into a temp file beside the store while it is hashed, its
//! name checked before the first byte, and the checks every form makes of its uploads.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

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
    pub(super) fn new(field: &str, name: &str, temp: NamedTempFile) -> Self {
        Self { field: field.to_string(), name: name.to_string(), temp, hasher: Sha256::new(), size: 0, head: Vec::with_capacity(4) }
    }

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

    /// Whether it starts like a zip file, as every jar does.
    pub fn is_zip(&self) -> bool {
        self.size > 0 && self.head == ZIP_MAGIC
    }

    /// Moves the temp file to its place in the store.
    /// Stores the upload read-only: jobs see it through hard links, and one job must not
    /// change the file another job (or a resubmit) reads.
    pub(super) fn persist(self, stored: &Path) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o400))
                .map_err(|e| EngineError::io(format!("cannot make artifact {} read-only", stored.display()), e))?;
        }
        self.temp
            .persist(stored)
            .map(|_| ())
            .map_err(|e| EngineError::io(format!("cannot store artifact {}", stored.display()), e.error))
    }
}

/// What a form field's uploads must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Jar,
    Any,
}

/// Each name once per field; jars must be non-empty zip files.
pub(crate) fn check_uploads(field: &str, uploads: &[Uploaded], kind: FileKind) -> Result<()> {
    for (i, u) in uploads.iter().enumerate() {
        if uploads[..i].iter().any(|other| other.name == u.name) {
            return Err(EngineError::invalid(field, format!("'{}' is uploaded twice", u.name)));
        }
        if kind == FileKind::Jar && u.size == 0 {
            return Err(EngineError::invalid(field, format!("'{}' is empty", u.name)));
        }
        if kind == FileKind::Jar && !u.is_zip() {
            return Err(EngineError::invalid(field, format!("'{}' is not a jar (it has no zip signature)", u.name)));
        }
    }
    Ok(())
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
