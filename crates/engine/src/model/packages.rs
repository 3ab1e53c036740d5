//! `packages`: Maven coordinates (`groupId:artifactId:version`, comma-separated) a job's
//! driver gets with their dependencies, resolved by Spark's own Ivy.

use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// The most coordinates one job or group may name.
pub const MAX_PACKAGES: usize = 100;

/// The checked coordinates, in the order given, each once. Every part is letters, digits,
/// `.`, `_`, `-` (and `+` in a version), so they are safe in a properties file and a path.
pub fn parse_packages(field: &str, text: &str) -> Result<Vec<String>> {
    let mut packages: Vec<String> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(':').collect();
        let part_ok = |part: &str, extra: &[char]| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || extra.contains(&c))
        };
        let valid = parts.len() == 3 && part_ok(parts[0], &[]) && part_ok(parts[1], &[]) && part_ok(parts[2], &['+']);
        if !valid {
            return Err(EngineError::invalid(
                field,
                format!("'{}' is not a Maven coordinate groupId:artifactId:version (e.g. org.example:lib:1.0)", entry.escape_default()),
            ));
        }
        if !packages.iter().any(|p| p == entry) {
            packages.push(entry.to_string());
        }
    }
    if packages.len() > MAX_PACKAGES {
        return Err(EngineError::invalid(field, format!("names {} coordinates; at most {MAX_PACKAGES}", packages.len())));
    }
    Ok(packages)
}

/// The name of a coordinate set's cache directory: the same set in any order is one key.
pub fn packages_key(packages: &[String]) -> String {
    let mut sorted = packages.to_vec();
    sorted.sort();
    hex::encode(Sha256::digest(sorted.join(",").as_bytes()))[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_parse_and_repeat_once() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (" , ", &[]),
            ("org.example:lib:1.0", &["org.example:lib:1.0"]),
            (" a.b:c-d_e:2.0.1-SNAPSHOT , x:y:1.0+build.5,a.b:c-d_e:2.0.1-SNAPSHOT", &["a.b:c-d_e:2.0.1-SNAPSHOT", "x:y:1.0+build.5"]),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_packages("packages", text).unwrap(), *expected, "{text}");
        }
    }

    #[test]
    fn malformed_coordinates_name_the_field_and_the_entry() {
        for bad in ["org.example:lib", "a:b:c:d", "a::1.0", ":b:1", "a:b:", "a b:c:1", "a:b:1;rm", "a:b:1\tx", "a/b:c:1", "a:b+:1"] {
            let error = parse_packages("packages", &format!("ok:fine:1, {bad}")).unwrap_err();
            assert_eq!(error.field(), Some("packages"), "{bad:?}");
            assert!(error.to_string().contains(&format!("'{}'", bad.trim().escape_default())), "{bad:?}: {error}");
        }
        let many: Vec<String> = (0..=MAX_PACKAGES).map(|i| format!("g:a{i}:1")).collect();
        assert_eq!(parse_packages("packages", &many.join(",")).unwrap_err().field(), Some("packages"));
    }

    #[test]
    fn the_cache_key_ignores_order() {
        let a = packages_key(&["x:y:1".into(), "a:b:2".into()]);
        assert_eq!(a, packages_key(&["a:b:2".into(), "x:y:1".into()]));
        assert_ne!(a, packages_key(&["a:b:2".into()]));
        assert_eq!(a.len(), 16);
    }
}
