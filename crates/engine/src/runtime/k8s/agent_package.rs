//! The driver agent's Python packages for a group driver pod: the pod runs the agent
//! script from the cluster's storage, and the packages beside it (`ilum`, which job code
//! imports as `ilum.api`, and `sparkdeck_agent`, the agent's interpreters) travel as one
//! zip in `spark.submit.pyFiles`.

use std::fs;
use std::path::{Path, PathBuf};

/// Where a remote group driver's packed agent package goes in its job directory.
const AGENT_DIR: &str = "agent";
/// The packages beside the agent script: the one job code imports (`ilum.api`) and the
/// agent's own. (The agent finds its zip by this name to put it after the job's packages.)
const AGENT_PACKAGES: [&str; 2] = ["ilum", "sparkdeck_agent"];
const AGENT_PACKAGE_ZIP: &str = "ilum.zip";

/// Packs the files under each `(source, prefix)` (no bytecode caches) into a zip at `out`,
/// each named `<prefix>/<relative path>`, for a driver's `spark.submit.pyFiles`. Stored,
/// not compressed (a few small files), with fixed dates: the same files give the same bytes.
fn zip_dirs(sources: &[(PathBuf, &str)], out: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    for (source, prefix) in sources {
        list_files(source, prefix, &mut files)?;
    }
    files.sort();
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, path) in files {
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        std::io::Write::write_all(&mut zip, &fs::read(&path)?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    fs::write(out, bytes)
}

/// The files under `source` as `(<prefix>/<relative path>, path)`, bytecode caches left out.
fn list_files(source: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    let mut pending = vec![source.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name == "__pycache__" || name.ends_with(".pyc") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(source) {
                let relative: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                files.push((format!("{prefix}/{}", relative.join("/")), path));
            }
        }
    }
    Ok(())
}


/// Packs the packages beside the agent `script` into the driver's job directory; the zip's path.
pub(crate) fn pack_agent_package(script: &Path, job_dir: &Path) -> std::io::Result<PathBuf> {
    let package = job_dir.join(AGENT_DIR).join(AGENT_PACKAGE_ZIP);
    let dir = script.parent().map(Path::to_path_buf).unwrap_or_default();
    let sources: Vec<(PathBuf, &str)> = AGENT_PACKAGES.iter().map(|name| (dir.join(name), *name)).collect();
    zip_dirs(&sources, &package)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot pack the driver agent's packages in {} into {}: {e}", dir.display(), package.display())))?;
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_package_zips_so_python_can_import_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("ilum");
        fs::create_dir_all(source.join("sub")).unwrap();
        fs::create_dir_all(source.join("__pycache__")).unwrap();
        fs::write(source.join("__init__.py"), "").unwrap();
        fs::write(source.join("sub/__init__.py"), "").unwrap();
        fs::write(source.join("sub/mod.py"), "VALUE = 42\n").unwrap();
        fs::write(source.join("__pycache__/x.pyc"), "junk").unwrap();
        let own = dir.path().join("sparkdeck_agent");
        fs::create_dir_all(&own).unwrap();
        fs::write(own.join("__init__.py"), "").unwrap();
        let sources = [(source, "ilum"), (own, "sparkdeck_agent")];
        let out = dir.path().join("out/ilum.zip");
        zip_dirs(&sources, &out).unwrap();
        let bytes = fs::read(&out).unwrap();
        zip_dirs(&sources, &out).unwrap();
        assert_eq!(fs::read(&out).unwrap(), bytes, "the same files give the same zip");
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; sys.path.insert(0, sys.argv[1]); import ilum.sub.mod as m; \
                print(m.VALUE, sorted(zipfile.ZipFile(sys.argv[1]).namelist()))"])
            .arg(&out)
            .output()
            .expect("python3 runs (Spark's drivers need it too)");
        let stdout = String::from_utf8_lossy(&python.stdout);
        assert_eq!(
            stdout.trim(),
            "42 ['ilum/__init__.py', 'ilum/sub/__init__.py', 'ilum/sub/mod.py', 'sparkdeck_agent/__init__.py']",
            "{}",
            String::from_utf8_lossy(&python.stderr)
        );
    }
}
