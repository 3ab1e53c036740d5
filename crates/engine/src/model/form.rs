//! Helpers every form of the engine reads its fields with (job submit, group create and
//! update, settings): the REST server and the desktop shell fill the same forms, so a
//! field is trimmed, defaulted and checked the same way whichever adapter sent it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{EngineError, Result};

/// The keys a JSON form was sent that it has no field for, caught by a
/// `#[serde(flatten)]` field (and `#[cfg_attr(feature = "specta", specta(skip))]`: no
/// client is meant to fill it). The form's check refuses them with [`refuse_unknown`], so a
/// setting the engine does not know is never dropped without a word, whichever adapter
/// (REST or the desktop) sent it.
pub type UnknownFields = BTreeMap<String, serde_json::Value>;

/// `Invalid` naming the first unknown key (under `prefix`, e.g. `storages.s3.`) and listing
/// the fields of `T`, read from its serialized default.
pub fn refuse_unknown<T: Serialize + Default>(prefix: &str, unknown: &UnknownFields) -> Result<()> {
    refuse_unknown_but::<T>(prefix, unknown, &[])
}

/// [`refuse_unknown`], but `read_only` keys (the view's derived fields, which a client may
/// send back from a GET) are let through: they are the resource's own, never settings.
pub fn refuse_unknown_but<T: Serialize + Default>(prefix: &str, unknown: &UnknownFields, read_only: &[&str]) -> Result<()> {
    let Some(key) = unknown.keys().find(|k| !read_only.contains(&k.as_str())) else { return Ok(()) };
    let fields: Vec<String> = match serde_json::to_value(T::default()) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    };
    Err(EngineError::invalid(format!("{prefix}{key}"), format!("is not a field of this request; the fields are {}", fields.join(", "))))
}

/// A text field as given, trimmed; absent reads as empty.
pub(crate) fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

/// A text field, or `default` when it is absent or blank.
pub(crate) fn text_or<'a>(value: &'a Option<String>, default: &'a str) -> &'a str {
    match text(value) {
        "" => default,
        given => given,
    }
}

/// Values that reach Spark's command line or SQLite's text columns: no NUL.
pub(crate) fn no_nul(field: &str, values: impl IntoIterator<Item = impl AsRef<str>>) -> Result<()> {
    if values.into_iter().any(|v| v.as_ref().contains('\0')) {
        return Err(EngineError::invalid(field, "may not contain NUL characters"));
    }
    Ok(())
}

/// Free text of at most `max` characters (descriptions), without NUL.
pub(crate) fn bounded_text(field: &str, value: &Option<String>, max: usize) -> Result<String> {
    let given = text(value);
    if given.chars().count() > max {
        return Err(EngineError::invalid(field, format!("is longer than {max} characters")));
    }
    no_nul(field, [given])?;
    Ok(given.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_defaulted_and_checked_by_name() {
        assert_eq!(text(&Some("  a b ".into())), "a b");
        assert_eq!(text(&None), "");
        assert_eq!(text_or(&Some("  ".into()), "default"), "default");
        assert_eq!(text_or(&Some(" lab ".into()), "default"), "lab");
        assert_eq!(no_nul("tags", ["ok", "a\0b"]).unwrap_err().field(), Some("tags"));
        assert!(no_nul("tags", ["ok"]).is_ok());
        assert_eq!(bounded_text("description", &Some("x".repeat(3)), 2).unwrap_err().field(), Some("description"));
        assert_eq!(bounded_text("description", &Some(" é ".into()), 1).unwrap(), "é");
    }
}
