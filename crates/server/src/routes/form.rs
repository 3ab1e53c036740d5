//! `multipart/form-data` bodies (job submit, group create and update): text fields by
//! name, and files streamed into engine uploads while their bytes are counted against the
//! engine's upload limit. A part whose name is neither one of the route's text fields nor
//! a file field is refused (409 naming it), so no setting is dropped without a word.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use sparkdeck_engine::artifacts::Uploaded;
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;
use sparkdeck_engine::{Engine, EngineError};

use crate::error::ApiError;

/// The parts that carry files, on every multipart route.
pub(crate) const FILE_FIELDS: &[&str] = &["jars", "files", "pyFiles"];

/// Room for the text fields and multipart framing beyond the upload limit itself.
pub(crate) const FORM_OVERHEAD: u64 = 1024 * 1024;

/// A read form: text fields (last one wins) and the files of `jars`, `files`, `pyFiles`.
#[derive(Default)]
pub(crate) struct Form {
    texts: HashMap<String, String>,
    pub(crate) jars: Vec<Uploaded>,
    pub(crate) files: Vec<Uploaded>,
    pub(crate) py_files: Vec<Uploaded>,
}

impl Form {
    /// A text field, when it was sent.
    pub(crate) fn text(&mut self, name: &str) -> Option<String> {
        self.texts.remove(name)
    }

    /// The memory and executor fields (`driverMemory`, …), as sent.
    pub(crate) fn memory_settings(&mut self) -> MemorySettingsForm {
        let mut memory = MemorySettingsForm::default();
        for name in MemorySettingsForm::FIELDS {
            if let Some(slot) = memory.field_mut(name) {
                *slot = self.text(name);
            }
        }
        memory
    }
}

fn form_error(field: &str, e: &MultipartError) -> ApiError {
    ApiError(EngineError::invalid(field, format!("the form could not be read: {}", e.body_text())))
}

async fn text_field(field: Field<'_>, name: &str) -> Result<String, ApiError> {
    field.text().await.map_err(|e| form_error(name, &e))
}

/// The refusal of a part the route does not take, listing the ones it does.
fn unknown_field(name: &str, text_fields: &[&str]) -> ApiError {
    let accepted: Vec<&str> = text_fields.iter().chain(FILE_FIELDS).copied().collect();
    let field = if name.is_empty() { "(a part without a name)" } else { name };
    ApiError(EngineError::invalid(field, format!("is not a field of this request; the fields are {}", accepted.join(", "))))
}

/// Reads the whole form; `text_fields` are the route's own list (next to its handler).
/// On a refusal the files read so far are dropped, which removes their temporary files.
pub(crate) async fn read(engine: &Engine, multipart: Result<Multipart, MultipartRejection>, text_fields: &[&str]) -> Result<Form, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError(EngineError::invalid("Content-Type", format!("a multipart/form-data body is expected: {}", e.body_text())))
    })?;
    let limit = engine.max_upload_bytes();
    let mut received: u64 = 0;
    let mut form = Form::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(form_error("body", &e)),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "jars" | "files" | "pyFiles" => {
                let file_name = field.file_name().unwrap_or("").to_string();
                let mut upload = engine.begin_upload(&name, &file_name)?;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            received += chunk.len() as u64;
                            if received > limit {
                                return Err(ApiError(EngineError::invalid(
                                    name.as_str(),
                                    format!("the uploads are larger than the {limit} bytes allowed"),
                                )));
                            }
                            upload.write(&chunk)?;
                        }
                        Ok(None) => break,
                        Err(e) => return Err(form_error(&name, &e)),
                    }
                }
                let done = upload.finish()?;
                match name.as_str() {
                    "jars" => form.jars.push(done),
                    "files" => form.files.push(done),
                    _ => form.py_files.push(done),
                }
            }
            other if text_fields.contains(&other) => {
                let value = text_field(field, &name).await?;
                form.texts.insert(name, value);
            }
            other => return Err(unknown_field(other, text_fields)),
        }
    }
    Ok(form)
}
