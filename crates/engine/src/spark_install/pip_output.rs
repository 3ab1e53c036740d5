//! Reading pip's output into install progress, and its errors into what failed.
//!
//! pip prints one line per stage (`Collecting`, `Downloading <file> (434.2 MB)`, `Using
//! cached`, `Installing collected packages`); with `--progress-bar raw` (pip 24.1+) it also
//! prints `Progress <done> of <total>` for each download.

use super::InstallStep;

/// What one line of pip's output tells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PipLine {
    Step(InstallStep),
    /// A download began; its size when pip printed one.
    Download { total: Option<u64> },
    Bytes { done: u64, total: u64 },
    Other,
}

pub(crate) fn parse_line(line: &str) -> PipLine {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("Progress ") {
        let mut words = rest.split_whitespace();
        if let (Some(done), Some("of"), Some(total)) = (words.next(), words.next(), words.next())
            && let (Ok(done), Ok(total)) = (done.parse(), total.parse())
        {
            return PipLine::Bytes { done, total };
        }
        return PipLine::Other;
    }
    if line.starts_with("Downloading ") {
        let total = line.rsplit_once('(').and_then(|(_, size)| parse_size(size.trim_end_matches(')')));
        return PipLine::Download { total };
    }
    if line.starts_with("Collecting ") || line.starts_with("Using cached ") {
        return PipLine::Step(InstallStep::Download);
    }
    if line.starts_with("Installing collected packages") || line.starts_with("Building wheel") {
        return PipLine::Step(InstallStep::Install);
    }
    PipLine::Other
}

/// `434.2 MB`, `203 kB` → bytes (pip uses decimal units).
fn parse_size(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "bytes" | "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    Some((number * scale) as u64)
}

/// What failed, from the step and the tail of the failed command's output.
pub(crate) fn explain_failure(step: InstallStep, output: &str) -> String {
    let has = |needles: &[&str]| needles.iter().any(|n| output.contains(n));
    let last = output.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no output");
    if has(&["No space left on device", "Errno 28"]) {
        return format!("the disk is full: {last}");
    }
    if step == InstallStep::CreateEnvironment && has(&["ensurepip is not available", "No module named venv", "No module named ensurepip"]) {
        return "Python's venv module is missing: install the Debian package python3-venv (`sudo apt-get install python3-venv`)".into();
    }
    let network = [
        "NewConnectionError",
        "Network is unreachable",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Connection refused",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "No matching distribution found",
    ];
    if has(&network) {
        return format!("cannot download pyspark from the package index (PyPI or the configured mirror; check the network): {last}");
    }
    format!("{} failed: {last}", step.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_lines_become_steps_and_bytes() {
        assert_eq!(parse_line("Collecting pyspark==4.3.0"), PipLine::Step(InstallStep::Download));
        assert_eq!(parse_line("  Downloading pyspark-4.3.0.tar.gz (434.2 MB)"), PipLine::Download { total: Some(434_200_000) });
        assert_eq!(parse_line("  Downloading py4j-0.10.9.9-py2.py3-none-any.whl (203 kB)"), PipLine::Download { total: Some(203_000) });
        assert_eq!(parse_line("  Downloading x.whl"), PipLine::Download { total: None });
        assert_eq!(parse_line("Progress 1024 of 4096"), PipLine::Bytes { done: 1024, total: 4096 });
        assert_eq!(parse_line("Installing collected packages: py4j, pyspark"), PipLine::Step(InstallStep::Install));
        assert_eq!(parse_line("Successfully installed py4j-0.10.9.9"), PipLine::Other);
    }

    #[test]
    fn failures_say_what_failed() {
        let offline = "WARNING: Retrying ... NewConnectionError: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution\nERROR: No matching distribution found for pyspark==4.3.0\n";
        assert!(explain_failure(InstallStep::Download, offline).starts_with("cannot download pyspark from the package index"));
        let full = "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device\n";
        assert!(explain_failure(InstallStep::Install, full).starts_with("the disk is full"));
        let venv = "The virtual environment was not created successfully because ensurepip is not available.\n";
        assert!(explain_failure(InstallStep::CreateEnvironment, venv).contains("python3-venv"));
        assert_eq!(explain_failure(InstallStep::Check, "boom\n"), "checking the installed pyspark failed: boom");
    }
}
