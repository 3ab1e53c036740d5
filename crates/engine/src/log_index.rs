//! Job logs: windows of lines read through a sparse line index, a follow stream, and the
//! summary of why a job failed.
//!
//! The index holds the byte offset of every 1,000th line. It is extended from where it
//! stopped (only the bytes appended since are read), kept in memory per file and saved
//! beside the log (`<log>.idx`), so reading any window of a 1 GiB log reads at most
//! 1,000 lines more than it returns.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::log_rotate::Rotations;

/// Lines between two indexed offsets.
pub const INDEX_EVERY: u64 = 1000;
/// A longer line is cut (with [`LINE_CUT_MARKER`]) when read, so one runaway line cannot
/// exhaust memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Ends a line cut at [`MAX_LINE_BYTES`].
pub const LINE_CUT_MARKER: &str = " … [line cut at 64 KiB]";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineIndex {
    /// `offsets[k]` is where line `k * INDEX_EVERY` starts.
    pub offsets: Vec<u64>,
    /// Complete (newline-terminated) lines seen.
    pub lines: u64,
    /// Bytes indexed: the end of the last complete line.
    pub scanned: u64,
    /// The log's rotations when it was indexed ([`crate::log_rotate::Rotations::count`]):
    /// after another one the log is indexed again, even when it has grown past `scanned`.
    #[serde(default)]
    pub rotations: u64,
}

impl LineIndex {
    /// Loads the saved index of `log`, or an empty one.
    pub fn load(log: &Path) -> Self {
        std::fs::read(index_path(log))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves it beside the log (temp file + rename).
    pub fn save(&self, log: &Path) -> std::io::Result<()> {
        let path = index_path(log);
        let temp = path.with_extension("idx.tmp");
        std::fs::write(&temp, serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
        std::fs::rename(temp, path)
    }

    /// Reads what was appended since the last call. Returns whether anything was added.
    /// A log shorter than what was indexed (truncated or replaced) is indexed again.
    pub fn extend(&mut self, log: &Path) -> std::io::Result<bool> {
        let mut file = File::open(log)?;
        let len = file.metadata()?.len();
        if len < self.scanned {
            *self = Self { rotations: self.rotations, ..Self::default() };
        }
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        if len == self.scanned {
            return Ok(false);
        }
        file.seek(SeekFrom::Start(self.scanned))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = self.scanned;
        let before = self.scanned;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            for (i, byte) in buf[..n].iter().enumerate() {
                if *byte == b'\n' {
                    self.lines += 1;
                    let next_line_start = pos + i as u64 + 1;
                    self.scanned = next_line_start;
                    if self.lines.is_multiple_of(INDEX_EVERY) {
                        self.offsets.push(next_line_start);
                    }
                }
            }
            pos += n as u64;
        }
        Ok(self.scanned != before)
    }

    /// Lines in the file, counting an unterminated last line.
    pub fn total_lines(&self, file_len: u64) -> u64 {
        self.lines + u64::from(file_len > self.scanned)
    }
}

fn index_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(".idx");
    PathBuf::from(name)
}

/// Reads lines `[from, from + count)` using `index` (already extended).
pub fn read_window(log: &Path, index: &LineIndex, from: u64, count: u64) -> std::io::Result<Vec<String>> {
    read_window_within(log, index, from, count, usize::MAX).map(|window| window.lines)
}

/// Lines of a log window, and whether a byte budget ended it before `count` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub lines: Vec<String>,
    pub cut_by_budget: bool,
}

/// Reads lines `[from, from + count)` as [`read_window`] does, stopping before the line that
/// would take the lines' bytes past `max_bytes`.
pub fn read_window_within(log: &Path, index: &LineIndex, from: u64, count: u64, max_bytes: usize) -> std::io::Result<Window> {
    let file = File::open(log)?;
    let len = file.metadata()?.len();
    let total = index.total_lines(len);
    if from >= total || count == 0 {
        return Ok(Window::default());
    }
    let slot = usize::try_from(from / INDEX_EVERY).unwrap_or(usize::MAX).min(index.offsets.len().saturating_sub(1));
    let start = index.offsets.get(slot).copied().unwrap_or(0);
    let mut line_no = slot as u64 * INDEX_EVERY;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    reader.seek(SeekFrom::Start(start))?;
    let wanted = count.min(total - from);
    let mut out = Vec::with_capacity(usize::try_from(wanted).unwrap_or(0).min(25_000));
    let mut buf = Vec::new();
    let mut bytes = 0usize;
    while (out.len() as u64) < wanted {
        buf.clear();
        if read_line_capped(&mut reader, &mut buf)? == 0 {
            break;
        }
        if line_no >= from {
            let line = String::from_utf8_lossy(&buf).into_owned();
            if bytes.saturating_add(line.len()) > max_bytes {
                return Ok(Window { lines: out, cut_by_budget: true });
            }
            bytes += line.len();
            out.push(line);
        }
        line_no += 1;
    }
    Ok(Window { lines: out, cut_by_budget: false })
}

/// The byte offset where line `line` starts (the end of the file when it has fewer).
pub fn line_start(log: &Path, index: &LineIndex, line: u64) -> std::io::Result<u64> {
    let slot = usize::try_from(line / INDEX_EVERY).unwrap_or(usize::MAX).min(index.offsets.len().saturating_sub(1));
    let mut pos = index.offsets.get(slot).copied().unwrap_or(0);
    let mut reader = BufReader::new(File::open(log)?);
    reader.seek(SeekFrom::Start(pos))?;
    let mut buf = Vec::new();
    for _ in (slot as u64 * INDEX_EVERY)..line {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 || buf.last() != Some(&b'\n') {
            break;
        }
        pos += n as u64;
    }
    Ok(pos)
}

/// Reads one line without its newline, keeping at most [`MAX_LINE_BYTES`] of it.
fn read_line_capped(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = MAX_LINE_BYTES.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        cut |= chunk.len() > room;
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        consumed += used;
        if done.is_some() {
            break;
        }
    }
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    if cut {
        out.extend_from_slice(LINE_CUT_MARKER.as_bytes());
    }
    Ok(consumed)
}

/// A line as read: at most [`MAX_LINE_BYTES`] of it, then [`LINE_CUT_MARKER`] if it was longer.
fn cut_line(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() <= MAX_LINE_BYTES {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut line = String::from_utf8_lossy(&bytes[..MAX_LINE_BYTES]).into_owned();
    line.push_str(LINE_CUT_MARKER);
    line
}

/// The most bytes a follow stream reads from its log at once.
pub const FOLLOW_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Sent by a follow stream when its log was truncated under it (rotated or replaced).
pub const LOG_RESTARTED_MARKER: &str = "… [the log was rotated or truncated: following it again from its start]";

/// Where a follow stream is in its log: new complete lines are read from `pos`, each cut
/// as a window cuts it, so a line longer than what is read at once does not stall it.
#[derive(Debug, Default)]
pub struct FollowCursor {
    pos: u64,
    /// The log's rotations when `pos` was taken: after another one it is read from its start.
    rotations: u64,
    /// The line at `pos` was already sent, cut: the rest of it is skipped.
    in_cut_line: bool,
    /// The log was seen shrunk before its rotation was recorded (rotation truncates first,
    /// then records): the next record is of that same rotation, not another one.
    restarted_before_record: bool,
    caught_up: bool,
}

impl FollowCursor {
    pub fn at(log: &Path, pos: u64) -> Self {
        Self { pos, rotations: Rotations::of(log).count, ..Self::default() }
    }

    /// Whether the last read reached the end of the log (else read again at once).
    pub fn caught_up(&self) -> bool {
        self.caught_up
    }

    /// The complete lines appended since the last call, at most [`FOLLOW_CHUNK_BYTES`] of
    /// the log at once; a line longer than [`MAX_LINE_BYTES`] is sent cut as soon as that
    /// much of it is there.
    pub fn read_new(&mut self, log: &Path) -> std::io::Result<Vec<String>> {
        let mut file = match File::open(log) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let rotations = Rotations::of(log).count;
        let mut out = Vec::new();
        if self.restarted_before_record && rotations != self.rotations {
            if rotations == self.rotations + 1 && len >= self.pos {
                self.rotations = rotations;
            }
            self.restarted_before_record = false;
        }
        if len < self.pos || rotations != self.rotations {
            out.push(LOG_RESTARTED_MARKER.to_string());
            let restarted_before_record = rotations == self.rotations;
            *self = Self { rotations, restarted_before_record, ..Self::default() };
        }
        file.seek(SeekFrom::Start(self.pos))?;
        let mut bytes = Vec::new();
        file.take(FOLLOW_CHUNK_BYTES as u64).read_to_end(&mut bytes)?;
        let mut used = 0;
        while let Some(end) = bytes[used..].iter().position(|b| *b == b'\n') {
            if !self.in_cut_line {
                out.push(cut_line(&bytes[used..used + end]));
            }
            self.in_cut_line = false;
            used += end + 1;
        }
        let unfinished = bytes.len() - used;
        if self.in_cut_line {
            used = bytes.len();
        } else if unfinished > MAX_LINE_BYTES {
            out.push(cut_line(&bytes[used..]));
            self.in_cut_line = true;
            used = bytes.len();
        }
        self.pos += used as u64;
        self.caught_up = bytes.len() < FOLLOW_CHUNK_BYTES;
        Ok(out)
    }
}

/// Reads the last `max` bytes of a file (a whole number of lines, lossily decoded).
pub fn tail_text(path: &Path, max: u64) -> String {
    let Ok(mut file) = File::open(path) else { return String::new() };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 { text.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default() } else { text }
}

/// The line that best says why a job failed: the last exception line of a Python
/// traceback or a Java stack trace (`pkg.SomeError: message`,
/// `Exception in thread "main" java.lang.X: message`), or pip's last `ERROR:` line.
pub fn error_summary(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (at, summary) = lines.iter().enumerate().rev().find_map(|(i, line)| exception_line(line).map(|s| (i, s)))?;
    // A driver a standalone worker runs in cluster mode is called through reflection, so
    // its exception arrives wrapped; the cause is the job's own.
    if summary.contains("InvocationTargetException")
        && let Some(cause) = lines[at..].iter().find_map(|l| l.trim().strip_prefix("Caused by: "))
    {
        return Some(cause.trim().to_string());
    }
    Some(summary)
}

fn exception_line(line: &str) -> Option<String> {
    let line = line.trim_end();
    if line.starts_with(char::is_whitespace) || line.starts_with("Caused by:") {
        return None;
    }
    if let Some(rest) = line.strip_prefix("ERROR: ") {
        return Some(rest.trim().to_string());
    }
    let candidate = match line.find("Exception in thread ") {
        Some(0) => line.split_once("\" ").map_or(line, |(_, rest)| rest),
        _ => line,
    };
    let (head, _) = candidate.split_once(": ").unwrap_or((candidate, ""));
    let class = head.rsplit('.').next().unwrap_or(head);
    let is_exception_class = !head.is_empty()
        && head.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '$'))
        && (class.ends_with("Error") || class.ends_with("Exception") || class == "KeyboardInterrupt");
    is_exception_class.then(|| candidate.to_string())
}

/// A Spark application id in a line of the driver's output or an event log name:
/// `local-1700000000000` (local) or `app-20240101120000-0001` (standalone).
pub fn find_app_id(text: &str) -> Option<String> {
    for (start, _) in text.match_indices("local-").chain(text.match_indices("app-")) {
        if start > 0 && text.as_bytes()[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &text[start..];
        let prefix_len = if rest.starts_with("local-") { 6 } else { 4 };
        let digits: String =
            rest[prefix_len..].chars().take_while(|c| c.is_ascii_digit() || (*c == '-' && prefix_len == 4)).collect();
        let digits = digits.trim_end_matches('-');
        if digits.len() >= 10 {
            return Some(format!("{}{digits}", &rest[..prefix_len]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A log in its own temporary directory, which also takes the index saved beside it.
    struct TestLog {
        dir: tempfile::TempDir,
        file: std::fs::File,
    }

    impl TestLog {
        fn path(&self) -> PathBuf {
            self.dir.path().join("stdout.log")
        }
    }

    impl Write for TestLog {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.file.write(buf)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }

    fn log_with(lines: u64, trailing: &str) -> TestLog {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join("stdout.log")).unwrap();
        let mut f = TestLog { dir, file };
        for i in 0..lines {
            writeln!(f, "line {i}").unwrap();
        }
        write!(f, "{trailing}").unwrap();
        f.flush().unwrap();
        f
    }

    #[test]
    fn index_finds_any_window() {
        let f = log_with(2500, "partial");
        let mut idx = LineIndex::default();
        assert!(idx.extend(&f.path()).unwrap());
        assert_eq!((idx.lines, idx.offsets.len()), (2500, 3));
        let len = f.path().metadata().unwrap().len();
        assert_eq!(idx.total_lines(len), 2501);
        assert_eq!(read_window(&f.path(), &idx, 0, 2).unwrap(), ["line 0", "line 1"]);
        assert_eq!(read_window(&f.path(), &idx, 1999, 2).unwrap(), ["line 1999", "line 2000"]);
        assert_eq!(read_window(&f.path(), &idx, 2499, 10).unwrap(), ["line 2499", "partial"]);
        assert!(read_window(&f.path(), &idx, 5000, 10).unwrap().is_empty());
    }

    #[test]
    fn index_extends_incrementally_and_survives_reload() {
        let mut f = log_with(999, "");
        let mut idx = LineIndex::default();
        idx.extend(&f.path()).unwrap();
        assert!(!idx.extend(&f.path()).unwrap(), "nothing new");
        writeln!(f, "line 999").unwrap();
        writeln!(f, "line 1000").unwrap();
        f.flush().unwrap();
        assert!(idx.extend(&f.path()).unwrap());
        assert_eq!((idx.lines, idx.offsets.len()), (1001, 2));
        idx.save(&f.path()).unwrap();
        let loaded = LineIndex::load(&f.path());
        assert_eq!(loaded, idx);
        assert_eq!(read_window(&f.path(), &loaded, 1000, 5).unwrap(), ["line 1000"]);
        // A replaced, shorter log is indexed again from the start.
        std::fs::write(f.path(), "new\n").unwrap();
        let mut again = loaded;
        again.extend(&f.path()).unwrap();
        assert_eq!(again.lines, 1);
    }

    #[test]
    fn a_follower_that_sees_a_rotation_before_its_record_says_so_once() {
        let mut f = log_with(3, "");
        f.file = std::fs::File::options().append(true).open(f.path()).unwrap();
        let mut cursor = FollowCursor::at(&f.path(), 0);
        assert_eq!(cursor.read_new(&f.path()).unwrap(), ["line 0", "line 1", "line 2"]);
        // Rotation truncates first and records after: the follower reads in between.
        f.file.set_len(0).unwrap();
        assert_eq!(cursor.read_new(&f.path()).unwrap(), [LOG_RESTARTED_MARKER]);
        std::fs::write(f.dir.path().join("stdout.log.rotated"), r#"{"count":1,"lines":3}"#).unwrap();
        writeln!(f, "new 0").unwrap();
        assert_eq!(cursor.read_new(&f.path()).unwrap(), ["new 0"], "the record is of the rotation already seen");
        // A later rotation is one of its own.
        f.file.set_len(0).unwrap();
        std::fs::write(f.dir.path().join("stdout.log.rotated"), r#"{"count":2,"lines":4}"#).unwrap();
        writeln!(f, "newer 0").unwrap();
        writeln!(f, "newer 1").unwrap();
        assert_eq!(cursor.read_new(&f.path()).unwrap(), [LOG_RESTARTED_MARKER, "newer 0", "newer 1"]);
    }

    #[test]
    fn long_lines_are_cut() {
        let f = log_with(0, &format!("{}\nnext\n", "x".repeat(MAX_LINE_BYTES * 2)));
        let mut idx = LineIndex::default();
        idx.extend(&f.path()).unwrap();
        let lines = read_window(&f.path(), &idx, 0, 2).unwrap();
        assert!(lines[0].ends_with(LINE_CUT_MARKER) && lines[0].len() == MAX_LINE_BYTES + LINE_CUT_MARKER.len());
        assert_eq!(lines[1], "next");
    }

    #[test]
    fn error_summaries() {
        let python = "COUNT 1000\nTraceback (most recent call last):\n  File \"t.py\", line 5, in <module>\n    raise ValueError(\"boom\")\nValueError: boom\n26/11/27 22:10:23 INFO SparkContext: stopped\n";
        assert_eq!(error_summary(python).as_deref(), Some("ValueError: boom"));
        let java = "Exception in thread \"main\" java.lang.IllegalStateException: bad input\n\tat Main.main(Main.java:3)\nCaused by: java.io.IOException: x\n26/11/27 INFO ShutdownHookManager: done\n";
        assert_eq!(error_summary(java).as_deref(), Some("java.lang.IllegalStateException: bad input"));
        let pip = "Collecting nothere==9\nERROR: Could not find a version that satisfies the requirement nothere==9\nERROR: No matching distribution found for nothere==9\n";
        assert_eq!(error_summary(pip).as_deref(), Some("No matching distribution found for nothere==9"));
        let wrapped = "Exception in thread \"main\" java.lang.reflect.InvocationTargetException\n\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\nCaused by: java.lang.IllegalStateException: demo failure\n\tat demo.Count.main(Count.java:9)\n";
        assert_eq!(error_summary(wrapped).as_deref(), Some("java.lang.IllegalStateException: demo failure"));
        let captured = "pyspark.errors.exceptions.captured.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] t\n";
        assert!(error_summary(captured).unwrap().starts_with("pyspark.errors.exceptions.captured.AnalysisException"));
        assert_eq!(error_summary("26/11/27 22:09:52 WARN Utils: Your hostname\nall good\n"), None);
    }

    #[test]
    fn app_ids() {
        let line = "INFO RollingEventLogFilesWriter: Logging events to file:/x/eventlog_v2_local-1795817416646/events_1";
        assert_eq!(find_app_id(line).as_deref(), Some("local-1795817416646"));
        assert_eq!(find_app_id("eventlog_v2_app-20240101120000-0001").as_deref(), Some("app-20240101120000-0001"));
        assert_eq!(find_app_id("my-local-12 and myapp-1234567890123"), None);
    }
}
