//! Helpers every form of the engine reads its fields with (job submit, group create and
//! update, settings): the REST server and the desktop shell fill the same forms, so a
//! field is trimmed, defaulted and checked the same way whichever adapter sent it.

use crate::error::{EngineError, Result};

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
