//! Secrets (keys, passwords, tokens) are stored but never shown: `Debug` redacts them,
//! and views replace them with [`MASK`].

use serde::{Deserialize, Serialize};

/// What responses carry in place of a secret that is set.
pub const MASK: &str = "******";

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The masked form for views: `None` when unset, [`MASK`] otherwise.
    pub fn masked(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| MASK.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(unset)" } else { "Secret(***)" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.masked().as_deref(), Some(MASK));
        assert_eq!(Secret::default().masked(), None);
    }
}
