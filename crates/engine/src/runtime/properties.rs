//! Spark settings as a `java.util.Properties` file: what a driver pod's ConfigMap holds,
//! and what `spark-submit --properties-file` reads here, so that no setting (some are
//! secrets) appears on a command line, where every user of the machine can read it
//! (`/proc/<pid>/cmdline`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The properties text: a `#` comment line, then `key=value` lines escaped as
/// `Properties.store` does, so the JVM reads back exactly these strings.
pub(crate) fn properties_text(comment: &str, conf: &BTreeMap<String, String>) -> String {
    let mut text = format!("#{}\n", comment.replace(['\n', '\r'], " "));
    for (key, value) in conf {
        text.push_str(&escape_property(key, true));
        text.push('=');
        text.push_str(&escape_property(value, false));
        text.push('\n');
    }
    text
}

/// Writes `conf` to `path`, readable by this user only (0600), replacing the file whole:
/// a reader never sees half of it, and a failed write leaves no partial file behind.
pub(crate) fn write_private_properties(path: &Path, conf: &BTreeMap<String, String>) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a properties file needs a directory"))?;
    // A NamedTempFile is created 0600 and removed when dropped unpersisted.
    let mut file = tempfile::Builder::new().prefix(".spark-properties-").tempfile_in(dir)?;
    file.write_all(properties_text("Spark settings from Sparkdeck", conf).as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `java.util.Properties.store` escaping.
pub(crate) fn escape_property(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn escaping_follows_java_properties() {
        assert_eq!(escape_property("k8s://https://h:1", false), "k8s\\://https\\://h\\:1");
        assert_eq!(escape_property(" a=b é", false), "\\ a\\=b \\u00E9");
        assert_eq!(escape_property("a key", true), "a\\ key");
        assert_eq!(escape_property("two\nlines", false), "two\\nlines");
    }

    #[test]
    fn the_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spark.properties");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let conf = BTreeMap::from([("spark.authenticate.secret".to_string(), "s=1".to_string())]);
        write_private_properties(&path, &conf).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("\nspark.authenticate.secret=s\\=1\n"), "{text}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["spark.properties"], "no temporary file is left");
    }
}
