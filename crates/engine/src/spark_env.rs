//! Finding Java and a Spark distribution on this machine.
//!
//! Spark, in order: `SPARK_HOME`; the folder picked in Settings (validated by
//! [`check_spark_folder`]); the Spark installed into the data directory
//! (`spark_install/`); the `pyspark` package of a Python virtualenv — `SPARKDECK_PYTHON_ENV`,
//! else a `.venv` in the checkout or beside the executable (`SPARKDECK_NO_CHECKOUT=1` hides
//! the checkout's, for tests of a machine without Spark); else whatever
//! `python3 -c 'import pyspark'` finds. Java: `JAVA_HOME/bin/java`, else `java` on `PATH`;
//! 17 or newer. The driver agent interactive groups run (`driver/`): `SPARKDECK_DRIVER_DIR`,
//! else a `driver/` folder holding `sparkdeck_driver.py` beside the executable
//! (`<prefix>/lib/sparkdeck/driver`, as the package installs it), else the checkout's.
//!
//! Only those roots are searched, never the parents of the working directory: a shared
//! parent (the system temp directory) could hold a planted `.venv/.../spark-submit` that
//! would run with the user's rights.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

pub const PYTHON_ENV_VAR: &str = "SPARKDECK_PYTHON_ENV";
pub const DRIVER_DIR_VAR: &str = "SPARKDECK_DRIVER_DIR";
/// Set to `1`: the checkout's `.venv` is not looked at (the app and server behave as
/// installed from the package).
pub const NO_CHECKOUT_VAR: &str = "SPARKDECK_NO_CHECKOUT";
/// The agent script and the jar with its JVM side, relative to the driver directory.
pub const DRIVER_SCRIPT: &str = "sparkdeck_driver.py";
pub const DRIVER_JAR: &str = "build/sparkdeck-driver.jar";
const INSTALL_HINT: &str = "install Spark 4.3.0 from the first-run screen or Settings, or pick a Spark folder \
                            (the server: `sparkdeck-server --install-spark`, or set SPARK_HOME)";
const JAVA_PACKAGE: &str = "openjdk-17-jre-headless";
const MIN_JAVA: u32 = 17;

/// What local jobs run with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SparkEnv {
    pub spark_home: PathBuf,
    pub spark_submit: PathBuf,
    pub spark_version: String,
    pub java: PathBuf,
    pub java_home: Option<PathBuf>,
    pub java_version: String,
    /// The Python that runs PySpark drivers and builds requirement virtualenvs.
    pub python: PathBuf,
    /// The driver agent's directory (interactive groups), when found.
    pub driver_dir: Option<PathBuf>,
    /// Where the Spark was found (Settings shows it).
    pub source: SparkSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum SparkSource {
    /// The `SPARK_HOME` environment variable.
    SparkHome,
    /// The folder picked in Settings.
    Settings,
    /// Installed into the data directory by Sparkdeck.
    Installed,
    /// `SPARKDECK_PYTHON_ENV`.
    PythonEnv,
    /// A `.venv` in the checkout or beside the executable.
    Venv,
    /// The `pyspark` the machine's `python3` imports.
    SystemPython,
}

/// The places besides the environment that discovery looks at.
#[derive(Debug, Clone, Default)]
pub struct SparkSources {
    /// The Spark folder picked in Settings.
    pub configured: Option<PathBuf>,
    /// The data directory, for the Spark installed into it.
    pub data_dir: Option<PathBuf>,
}

/// The outcome of a look-up, for status displays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SparkStatus {
    pub env: Option<SparkEnv>,
    /// Why no environment was found, and how to install what is missing.
    pub error: Option<String>,
}

/// Discovery from the environment and the machine only (no Settings, no data directory).
pub fn discover() -> Result<SparkEnv, String> {
    discover_in(&SparkSources::default())
}

pub fn discover_in(sources: &SparkSources) -> Result<SparkEnv, String> {
    // With neither Spark nor Java (a fresh package install), both are named: Java must not
    // turn out to be missing only after Spark's download.
    let (spark_home, venv_python, source) = find_spark(sources).map_err(|spark| match check_java() {
        Ok(_) => spark,
        Err(java) => format!("{spark}; also, {java}"),
    })?;
    let spark_submit = spark_home.join("bin").join("spark-submit");
    if !spark_submit.is_file() {
        return Err(format!("{} has no bin/spark-submit; {INSTALL_HINT}", spark_home.display()));
    }
    let spark_version = spark_version(&spark_home)
        .ok_or_else(|| format!("cannot tell the Spark version of {}; {INSTALL_HINT}", spark_home.display()))?;
    let (java, java_home, java_version) = check_java()?;
    Ok(SparkEnv {
        spark_home,
        spark_submit,
        spark_version,
        java,
        java_home,
        java_version,
        python: venv_python.unwrap_or_else(|| PathBuf::from("python3")),
        driver_dir: find_driver_dir(),
        source,
    })
}

impl SparkEnv {
    /// The agent's directory, with its script and built jar, or what is missing.
    pub fn driver_agent(&self) -> Result<(PathBuf, PathBuf), String> {
        agent_files(self.driver_dir.as_deref())
    }
}

/// The driver agent's script and jar without a local Spark: Kubernetes drivers run the
/// agent from the cluster's storage, so only its files are needed here.
pub fn driver_agent_files() -> Result<(PathBuf, PathBuf), String> {
    agent_files(find_driver_dir().as_deref())
}

fn agent_files(dir: Option<&Path>) -> Result<(PathBuf, PathBuf), String> {
    let dir = dir.ok_or_else(|| {
        format!("the driver agent (driver/{DRIVER_SCRIPT}) was not found; reinstall Sparkdeck (its package puts it in /usr/lib/sparkdeck/driver) or set {DRIVER_DIR_VAR}")
    })?;
    let jar = dir.join(DRIVER_JAR);
    if !jar.is_file() {
        return Err(format!(
            "{} is missing: reinstall Sparkdeck (in a checkout, driver/build-jar.sh builds the driver agent's jar)",
            jar.display()
        ));
    }
    Ok((dir.join(DRIVER_SCRIPT), jar))
}

fn find_driver_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DRIVER_DIR_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    installed_roots().into_iter().chain(checkout_root()).map(|d| d.join("driver")).find(|d| d.join(DRIVER_SCRIPT).is_file())
}

/// The checkout this binary was built from (the app, the server and the tests, run from
/// the repository or `target/`).
fn checkout_root() -> Option<PathBuf> {
    // `crates/engine` → the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).map(Path::to_path_buf)
}

/// The running executable's directory and its install layout (`<prefix>/bin/` beside
/// `<prefix>/`, `<prefix>/lib/sparkdeck/`, a macOS bundle's `Contents/Resources/`).
fn installed_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) {
        let prefix = dir.parent().map(Path::to_path_buf);
        roots.push(dir);
        if let Some(prefix) = prefix {
            roots.extend([prefix.join("lib").join("sparkdeck"), prefix.join("Resources"), prefix]);
        }
    }
    roots
}

/// Where a `.venv` is looked for: the checkout (unless hidden), then the install layout.
fn venv_roots() -> Vec<PathBuf> {
    let hide_checkout = std::env::var_os(NO_CHECKOUT_VAR).is_some_and(|v| v == "1");
    let checkout = if hide_checkout { None } else { checkout_root() };
    checkout.into_iter().chain(installed_roots()).collect()
}

/// The Spark home, its virtualenv's Python when it came from one, and where it was found.
fn find_spark(sources: &SparkSources) -> Result<(PathBuf, Option<PathBuf>, SparkSource), String> {
    if let Some(home) = std::env::var_os("SPARK_HOME").filter(|v| !v.is_empty()) {
        let home = PathBuf::from(home);
        if !home.is_dir() {
            return Err(format!("SPARK_HOME={} is not a directory; {INSTALL_HINT}", home.display()));
        }
        let python = std::env::var_os(PYTHON_ENV_VAR).map(|v| PathBuf::from(v).join("bin").join("python"));
        return Ok((home, python, SparkSource::SparkHome));
    }
    if let Some(folder) = &sources.configured {
        let found = check_spark_folder(folder).map_err(|reason| format!("the Spark folder in Settings is refused: {reason}"))?;
        return Ok((found.home, found.python, SparkSource::Settings));
    }
    if let Some(venv) = sources.data_dir.as_deref().and_then(crate::spark_install::installed_venv)
        && let Some(home) = pyspark_in_venv(&venv)
    {
        return Ok((home, Some(venv.join("bin").join("python")), SparkSource::Installed));
    }
    if let Some(env) = std::env::var_os(PYTHON_ENV_VAR).filter(|v| !v.is_empty()) {
        let env = PathBuf::from(env);
        return pyspark_in_venv(&env)
            .map(|home| (home, Some(env.join("bin").join("python")), SparkSource::PythonEnv))
            .ok_or_else(|| format!("{PYTHON_ENV_VAR}={} has no pyspark installed; {INSTALL_HINT}", env.display()));
    }
    for root in venv_roots() {
        let venv = root.join(".venv");
        if let Some(home) = pyspark_in_venv(&venv) {
            return Ok((home, Some(venv.join("bin").join("python")), SparkSource::Venv));
        }
    }
    let out = Command::new("python3")
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .map_err(|e| format!("no Spark found (python3: {e}); {INSTALL_HINT}"))?;
    let home = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || home.is_empty() {
        return Err(format!("no Spark found; {INSTALL_HINT}"));
    }
    Ok((PathBuf::from(home), None, SparkSource::SystemPython))
}

/// A Spark folder someone picked: its Spark home and, for a virtualenv, its Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkFolder {
    pub home: PathBuf,
    pub python: Option<PathBuf>,
    pub version: String,
}

/// A picked folder is a Spark 3.5+ or 4.x distribution (`bin/spark-submit`, its version
/// in `RELEASE` or pyspark's `version.py`), or a virtualenv with such a pyspark; else
/// why not.
pub fn check_spark_folder(folder: &Path) -> Result<SparkFolder, String> {
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", folder.display()));
    }
    let (home, python) = if folder.join("bin").join("spark-submit").is_file() {
        (folder.to_path_buf(), None)
    } else if let Some(home) = pyspark_in_venv(folder) {
        (home, Some(folder.join("bin").join("python")))
    } else {
        return Err(format!(
            "{} has no bin/spark-submit: pick a Spark distribution (the folder with bin/ and jars/) or a Python virtualenv with pyspark",
            folder.display()
        ));
    };
    let version = spark_version(&home)
        .ok_or_else(|| format!("cannot tell the Spark version of {} (no RELEASE file, no pyspark version.py)", home.display()))?;
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    let supported = match (parts.next().flatten(), parts.next().flatten()) {
        (Some(3), Some(minor)) => minor >= 5,
        (Some(4), Some(_)) => true,
        _ => false,
    };
    if !supported {
        return Err(format!("{} is Spark {version}; Sparkdeck needs Spark 3.5 or newer 3.x, or 4.x", home.display()));
    }
    Ok(SparkFolder { home, python, version })
}

pub(crate) fn pyspark_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .map(|entry| entry.path().join("site-packages").join("pyspark"))
        .find(|p| p.join("bin").join("spark-submit").is_file())
}

/// From `RELEASE` (`Spark 3.5.1 built for Hadoop 3.3.4`), pyspark's `version.py`, or the
/// `spark-core` jar's name.
pub(crate) fn spark_version(home: &Path) -> Option<String> {
    if let Ok(release) = std::fs::read_to_string(home.join("RELEASE"))
        && let Some(v) = release.split_whitespace().nth(1) {
            return Some(v.to_string());
        }
    if let Ok(text) = std::fs::read_to_string(home.join("version.py"))
        && let Some(v) = quoted_after(&text, "__version__") {
            return Some(v);
        }
    std::fs::read_dir(home.join("jars")).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix("spark-core_")?.strip_suffix(".jar")?;
        rest.split_once('-').map(|(_, v)| v.to_string())
    })
}

fn quoted_after(text: &str, key: &str) -> Option<String> {
    let line = text.lines().find(|l| l.trim_start().starts_with(key))?;
    let start = line.find(['\'', '"'])?;
    let quote = line[start..].chars().next()?;
    let rest = &line[start + 1..];
    rest.find(quote).map(|end| rest[..end].to_string())
}

/// The Java that runs Spark (its path, `JAVA_HOME` and version), or how to install one.
fn check_java() -> Result<(PathBuf, Option<PathBuf>, String), String> {
    let (java, java_home) = find_java();
    let java_version = java_version(&java).ok_or_else(|| {
        format!("Java {MIN_JAVA}+ is required but `{} -version` did not run: install the Debian package {JAVA_PACKAGE} (`sudo apt-get install {JAVA_PACKAGE}`) or set JAVA_HOME", java.display())
    })?;
    if java_major(&java_version) < MIN_JAVA {
        return Err(format!("Java {MIN_JAVA}+ is required, {} is {java_version}: install the Debian package {JAVA_PACKAGE} or set JAVA_HOME", java.display()));
    }
    Ok((java, java_home, java_version))
}

fn find_java() -> (PathBuf, Option<PathBuf>) {
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        let home = PathBuf::from(home);
        let java = home.join("bin").join("java");
        if java.is_file() {
            return (java, Some(home));
        }
    }
    (PathBuf::from("java"), None)
}

fn java_version(java: &Path) -> Option<String> {
    let out = Command::new(java).arg("-version").output().ok()?;
    parse_java_version(&String::from_utf8_lossy(&out.stderr))
}

/// `openjdk version "17.0.15" 2025-04-15` → `17.0.15`.
pub(crate) fn parse_java_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains(" version "))?;
    quoted_after(line.split(" version ").nth(1).map(|r| format!("v {r}")).as_deref()?, "v")
}

/// `1.8.0_392` → 8, `17.0.15` → 17.
pub(crate) fn java_major(version: &str) -> u32 {
    let mut parts = version.split(['.', '_', '-', '+']).map(|p| p.parse::<u32>().unwrap_or(0));
    match parts.next() {
        Some(1) => parts.next().unwrap_or(0),
        Some(n) => n,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_versions() {
        let text = "openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment";
        assert_eq!(parse_java_version(text).as_deref(), Some("17.0.15"));
        assert_eq!(parse_java_version("java version \"1.8.0_392\"").as_deref(), Some("1.8.0_392"));
        assert_eq!(java_major("1.8.0_392"), 8);
        assert_eq!(java_major("21"), 21);
        assert_eq!(parse_java_version("command not found"), None);
    }

    #[test]
    fn spark_versions_from_release_or_version_py() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("version.py"), "__version__: str = '4.3.0'\n").unwrap();
        assert_eq!(spark_version(dir.path()).as_deref(), Some("4.3.0"));
        std::fs::write(dir.path().join("RELEASE"), "Spark 3.5.1 built for Hadoop 3.3.4\n").unwrap();
        assert_eq!(spark_version(dir.path()).as_deref(), Some("3.5.1"));
    }

    /// Not a test on its own (so ignored): run by the one below in a child process, from a
    /// chosen working directory and without the environment variables; prints what it finds.
    #[test]
    #[ignore = "run in a child process by a_venv_or_driver_planted_in_a_parent_of_the_working_directory_is_not_used"]
    fn probe_discovery_from_the_working_directory() {
        println!("spark: {:?}", discover().map(|env| env.spark_home));
        println!("driver: {:?}", driver_agent_files());
    }

    #[test]
    fn a_venv_or_driver_planted_in_a_parent_of_the_working_directory_is_not_used() {
        let parent = tempfile::tempdir().unwrap();
        let pyspark = parent.path().join(".venv/lib/python3.11/site-packages/pyspark");
        std::fs::create_dir_all(pyspark.join("bin")).unwrap();
        std::fs::write(pyspark.join("bin/spark-submit"), "#!/bin/sh\necho planted\n").unwrap();
        std::fs::write(pyspark.join("version.py"), "__version__ = '4.3.0'\n").unwrap();
        std::fs::create_dir_all(parent.path().join("driver/build")).unwrap();
        std::fs::write(parent.path().join("driver").join(DRIVER_SCRIPT), "print('planted')\n").unwrap();
        std::fs::write(parent.path().join("driver").join(DRIVER_JAR), "planted").unwrap();
        let cwd = parent.path().join("work/dir");
        std::fs::create_dir_all(&cwd).unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "spark_env::tests::probe_discovery_from_the_working_directory", "--ignored", "--nocapture", "--test-threads=1"])
            .current_dir(&cwd)
            .env_remove("SPARK_HOME")
            .env_remove(PYTHON_ENV_VAR)
            .env_remove(DRIVER_DIR_VAR)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("spark: ") && stdout.contains("driver: "), "{stdout}");
        let planted = parent.path().display().to_string();
        assert!(!stdout.contains(&planted), "a planted file in {planted} was found:\n{stdout}");
    }

    #[test]
    fn the_checkout_is_where_the_driver_agent_is_found_last() {
        let checkout = checkout_root().unwrap();
        assert!(checkout.join("Cargo.toml").is_file() && checkout.join("driver").join(DRIVER_SCRIPT).is_file(), "{}", checkout.display());
        assert!(!installed_roots().contains(&checkout));
        assert!(installed_roots().iter().any(|r| r.ends_with("lib/sparkdeck")), "the package's <prefix>/lib/sparkdeck is searched");
    }

    fn fake_spark(dir: &Path, version_py: Option<&str>) {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/spark-submit"), "#!/bin/sh\n").unwrap();
        if let Some(version) = version_py {
            std::fs::write(dir.join("version.py"), format!("__version__ = '{version}'\n")).unwrap();
        }
    }

    #[test]
    fn a_picked_folder_that_is_not_a_supported_spark_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let refused = |path: &Path| check_spark_folder(path).unwrap_err();
        assert!(refused(&dir.path().join("missing")).contains("is not a folder"));
        assert!(refused(dir.path()).contains("has no bin/spark-submit"), "{}", refused(dir.path()));
        fake_spark(dir.path(), None);
        assert!(refused(dir.path()).contains("cannot tell the Spark version"));
        std::fs::write(dir.path().join("RELEASE"), "Spark 3.4.1 built for Hadoop 3.3.4\n").unwrap();
        assert!(refused(dir.path()).contains("is Spark 3.4.1; Sparkdeck needs Spark 3.5"), "{}", refused(dir.path()));
        std::fs::write(dir.path().join("RELEASE"), "Spark 3.5.1 built for Hadoop 3.3.4\n").unwrap();
        let found = check_spark_folder(dir.path()).unwrap();
        assert_eq!((found.home.as_path(), found.python, found.version.as_str()), (dir.path(), None, "3.5.1"));
    }

    #[test]
    fn a_picked_virtualenv_gives_its_pyspark_and_python() {
        let venv = tempfile::tempdir().unwrap();
        let pyspark = venv.path().join("lib/python3.11/site-packages/pyspark");
        fake_spark(&pyspark, Some("4.3.0"));
        let found = check_spark_folder(venv.path()).unwrap();
        assert_eq!(found, SparkFolder { home: pyspark, python: Some(venv.path().join("bin/python")), version: "4.3.0".into() });
    }
}
