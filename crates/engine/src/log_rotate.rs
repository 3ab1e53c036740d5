//! Rotation of a long-lived driver's logs: a log past its size is copied to `<log>.1` (older
//! parts move up to `<log>.2` …, the oldest beyond the kept number is removed) and then
//! truncated in place. The driver writes its log through a descriptor opened with O_APPEND,
//! so after the truncation its next write lands at the new end; renaming the file instead
//! would leave it writing to the part. Lines written between the copy and the truncation
//! are lost, which a bounded log accepts.
//!
//! Each rotation is recorded in `<log>.rotated` (how many, and how many lines went), so the
//! line index knows to index the log again and readers can say what was rotated away. One
//! writer per log: the task that polls its driver.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What rotation has taken from a log so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotations {
    /// How many times the log was rotated.
    pub count: u64,
    /// Lines that were moved out of the log, in all rotations.
    pub lines: u64,
}

impl Rotations {
    /// The record of `log`'s rotations; none when it was never rotated.
    pub fn of(log: &Path) -> Self {
        fs::read(with_suffix(log, ".rotated")).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
    }

    fn save(&self, log: &Path) -> std::io::Result<()> {
        let path = with_suffix(log, ".rotated");
        let temp = with_suffix(log, ".rotated.tmp");
        fs::write(&temp, serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
        fs::rename(temp, path)
    }
}

/// `<log>.<n>`: the n-th older part (1 is the newest).
pub fn part(log: &Path, n: usize) -> PathBuf {
    with_suffix(log, &format!(".{n}"))
}

/// Rotates `log` when it is bigger than `max_bytes`, keeping `keep` older parts. Returns
/// whether it rotated.
pub fn rotate_if_over(log: &Path, max_bytes: u64, keep: usize) -> std::io::Result<bool> {
    let len = match fs::metadata(log) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if len <= max_bytes {
        return Ok(false);
    }
    let lines = if keep == 0 {
        copy_counting_lines(log, None, len)?
    } else {
        match fs::remove_file(part(log, keep)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        for n in (1..keep).rev() {
            match fs::rename(part(log, n), part(log, n + 1)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        copy_counting_lines(log, Some(&part(log, 1)), len)?
    };
    File::options().write(true).open(log)?.set_len(0)?;
    let before = Rotations::of(log);
    Rotations { count: before.count + 1, lines: before.lines + lines }.save(log)?;
    Ok(true)
}

/// Copies the first `len` bytes of `from` to a new `to` (when given) with the same
/// permissions; returns the lines read (an unterminated last line counts: it is cut off
/// where the copy ends).
fn copy_counting_lines(from: &Path, to: Option<&Path>, len: u64) -> std::io::Result<u64> {
    let mut source = File::open(from)?.take(len);
    let mut dest = match to {
        Some(to) => {
            let dest = File::create(to)?;
            dest.set_permissions(fs::metadata(from)?.permissions())?;
            Some(dest)
        }
        None => None,
    };
    let mut buf = vec![0u8; 1 << 20];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = source.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(dest) = dest.as_mut() {
            dest.write_all(&buf[..n])?;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        last = buf[n - 1];
    }
    if let Some(dest) = dest {
        dest.sync_all()?;
    }
    Ok(lines + u64::from(last != b'\n'))
}

fn with_suffix(log: &Path, suffix: &str) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_over_its_size_moves_to_its_first_part_and_older_parts_move_up() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stdout.log");
        let mut writer = File::options().create(true).append(true).open(&log).unwrap();
        writer.write_all(b"one\ntwo\n").unwrap();
        assert!(!rotate_if_over(&log, 8, 2).unwrap(), "at its size, not over it");
        for (round, text) in ["three\n", "four\nfive\n", "six\n"].iter().enumerate() {
            writer.write_all(text.as_bytes()).unwrap();
            assert!(rotate_if_over(&log, 3, 2).unwrap(), "round {round}");
        }
        // The driver's descriptor (O_APPEND) writes at the new end after the truncation.
        writer.write_all(b"seven\n").unwrap();
        assert_eq!(fs::read_to_string(&log).unwrap(), "seven\n");
        assert_eq!(fs::read_to_string(part(&log, 1)).unwrap(), "six\n");
        assert_eq!(fs::read_to_string(part(&log, 2)).unwrap(), "four\nfive\n");
        assert!(!part(&log, 3).exists(), "only two parts are kept");
        assert_eq!(Rotations::of(&log), Rotations { count: 3, lines: 6 });
    }
}
