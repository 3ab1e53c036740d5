//! Parsers of the API's string formats: `key=value;key2=value2` (tags, Spark conf),
//! `;`-separated pip requirements and arguments. Each error names the field it came from.

use std::collections::BTreeMap;

use crate::error::{EngineError, Result};

/// Parses `k=v;k2=v2`. Blank entries (e.g. a trailing `;`) are skipped; keys are trimmed,
/// values kept as given (Spark values may contain `=`); a key may appear once.
pub fn parse_pairs(field: &str, input: &str) -> Result<BTreeMap<String, String>> {
    let mut pairs = BTreeMap::new();
    for (index, entry) in input.split(';').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = entry.split_once('=') else {
            return Err(EngineError::invalid(
                field,
                format!("entry {} '{}' is not key=value", index + 1, entry.trim()),
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(EngineError::invalid(field, format!("entry {} has an empty key", index + 1)));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(EngineError::invalid(field, format!("key '{key}' contains whitespace")));
        }
        if pairs.insert(key.to_string(), value.trim().to_string()).is_some() {
            return Err(EngineError::invalid(field, format!("key '{key}' is given twice")));
        }
    }
    Ok(pairs)
}

/// The inverse of [`parse_pairs`], in key order.
pub fn format_pairs(pairs: &BTreeMap<String, String>) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

/// Parses `pandas==2.2.0;numpy`. Each entry must be a requirement specifier, never a pip
/// option: an entry such as `--index-url=...` would let a form redirect pip.
pub fn parse_requirements(field: &str, input: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in input.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let name_end = entry
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(entry.len());
        let name = &entry[..name_end];
        let valid_name = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        let rest = entry[name_end..].trim_start();
        // Each entry becomes a line of a pip requirements file, where a URL would fetch
        // code from anywhere, `--opt` would change how pip installs, and `${VAR}` would
        // expand this machine's environment: only extras and version specifiers pass.
        if rest.split_whitespace().any(|token| token.starts_with('-')) {
            return Err(EngineError::invalid(field, format!("'{entry}': pip options are not allowed in requirements")));
        }
        if rest.starts_with('@') || rest.contains("://") {
            return Err(EngineError::invalid(
                field,
                format!("'{entry}': direct references (name @ url) are not allowed; name a version from the package index"),
            ));
        }
        let valid_rest = (rest.is_empty() || rest.starts_with(['=', '<', '>', '!', '~', '[']))
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || " ._*+!=<>~,[]-".contains(c));
        if !valid_name || !valid_rest || entry.contains(char::is_control) {
            return Err(EngineError::invalid(
                field,
                format!("'{entry}' is not a requirement (expected e.g. pandas==2.2.0)"),
            ));
        }
        out.push(entry.to_string());
    }
    Ok(out)
}

/// Splits a `;`-separated argument list. Arguments are passed verbatim; only a trailing
/// empty argument (from a trailing `;`) is dropped.
pub fn parse_args(input: &str) -> Vec<String> {
    if input.is_empty() {
        return Vec::new();
    }
    let mut args: Vec<String> = input.split(';').map(str::to_string).collect();
    if args.last().is_some_and(String::is_empty) {
        args.pop();
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_and_round_trip() {
        let p = parse_pairs("tags", " a=1; b = x=y ;;").unwrap();
        assert_eq!(p.get("a").map(String::as_str), Some("1"));
        assert_eq!(p.get("b").map(String::as_str), Some("x=y"));
        assert_eq!(format_pairs(&p), "a=1;b=x=y");
        assert!(parse_pairs("tags", "").unwrap().is_empty());
    }

    #[test]
    fn pair_errors_name_the_field_and_entry() {
        let e = parse_pairs("jobConfig", "spark.a=1;oops").unwrap_err();
        assert_eq!(e.field(), Some("jobConfig"));
        assert!(e.to_string().contains("entry 2 'oops'"), "{e}");
        assert!(parse_pairs("tags", "=v").unwrap_err().to_string().contains("empty key"));
        assert!(parse_pairs("tags", "a=1;a=2").unwrap_err().to_string().contains("twice"));
        assert!(parse_pairs("tags", "a b=1").unwrap_err().to_string().contains("whitespace"));
    }

    #[test]
    fn requirements_accept_specifiers_and_refuse_options() {
        let r = parse_requirements("pyRequirements", "pandas==2.2.0; numpy ;six>=1.16,<2;requests[socks]").unwrap();
        assert_eq!(r, ["pandas==2.2.0", "numpy", "six>=1.16,<2", "requests[socks]"]);
        for bad in ["--index-url=http://evil", "-e .", "pandas 2.0", "==1.0", "a==\u{1}1", "a==${HOME}"] {
            let e = parse_requirements("pyRequirements", bad).unwrap_err();
            assert_eq!(e.field(), Some("pyRequirements"), "{bad}");
        }
    }

    #[test]
    fn requirements_refuse_direct_references_and_per_requirement_options() {
        for bad in ["pkg @ https://evil.example/pkg.whl", "pkg@file:///tmp/x", "pkg[extra] @ git+https://h/r"] {
            let e = parse_requirements("pyRequirements", bad).unwrap_err();
            assert!(e.to_string().contains("direct references (name @ url) are not allowed"), "{bad}: {e}");
        }
        for bad in ["pandas==2.2.0 --hash=sha256:00", "six --config-settings=a=b", "numpy>=1 -i http://evil"] {
            let e = parse_requirements("pyRequirements", bad).unwrap_err();
            assert!(e.to_string().contains("pip options are not allowed"), "{bad}: {e}");
        }
        assert_eq!(parse_requirements("pyRequirements", "a-b[c-d]>=1.0,!=1.2.*").unwrap(), ["a-b[c-d]>=1.0,!=1.2.*"]);
    }

    #[test]
    fn args_keep_inner_empties() {
        assert_eq!(parse_args("a;;b;"), ["a", "", "b"]);
        assert!(parse_args("").is_empty());
    }
}
