//! Finding and streaming an application's event log in a job's `events/` folder, as Spark
//! writes it: one file `<appId>` (`<appId>.inprogress` while it runs) or a rolling directory
//! `eventlog_v2_<appId>/` of `events_<N>_<appId>` files, read in order of N. Lines are read
//! one at a time into one reused buffer of at most [`MAX_LINE`] bytes; the file is never
//! held whole. Spark 4 compresses event logs with zstd by default (a `.zstd` suffix), which is
//! decoded as it streams (`ruzstd`); the other codecs (`.lz4`, `.lzf`, `.snappy`) are found but
//! not read: the answer says so.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A longer line (a huge SQL plan, say) is skipped: the events we read are a few KiB.
pub(crate) const MAX_LINE: u64 = 16 * 1024 * 1024;
const READ_BUFFER: usize = 256 * 1024;
const INPROGRESS: &str = ".inprogress";
const ROLLING_PREFIX: &str = "eventlog_v2_";
const COMPACT: &str = ".compact";
const CODECS: [&str; 4] = ["lz4", "lzf", "snappy", "zstd"];

/// One application's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventLog {
    pub app_id: String,
    /// The files to read, in order.
    pub files: Vec<PathBuf>,
    /// Spark still writes it (an `.inprogress` name or rolling status).
    pub in_progress: bool,
    /// The compression codec of its files, if any (then it is not read).
    pub codec: Option<String>,
}

/// The event log in `events_dir` of `app_id` (or, unknown, the newest one there); None
/// when there is none.
pub(crate) fn find(events_dir: &Path, app_id: Option<&str>) -> Option<EventLog> {
    let mut found: Vec<(SystemTime, EventLog)> = Vec::new();
    for entry in fs::read_dir(events_dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".crc") {
            continue;
        }
        let path = entry.path();
        let log = if let Some(app) = name.strip_prefix(ROLLING_PREFIX) {
            rolling(&path, app)
        } else if path.is_file() {
            let (app, codec, in_progress) = split_name(&name);
            Some(EventLog { app_id: app.to_string(), files: vec![path.clone()], in_progress, codec })
        } else {
            None
        };
        if let Some(log) = log {
            let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
            found.push((modified, log));
        }
    }
    if let Some(app) = app_id
        && let Some(i) = found.iter().position(|(_, l)| l.app_id == app)
    {
        return Some(found.swap_remove(i).1);
    }
    found.into_iter().max_by_key(|(m, _)| *m).map(|(_, l)| l)
}

/// `<appId>[.<codec>][.inprogress]` → (appId, codec, in progress).
fn split_name(name: &str) -> (&str, Option<String>, bool) {
    let (name, in_progress) = match name.strip_suffix(INPROGRESS) {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    match name.rsplit_once('.') {
        Some((app, codec)) if CODECS.contains(&codec) => (app, Some(codec.to_string()), in_progress),
        _ => (name, None, in_progress),
    }
}

/// A rolling event log directory: its `events_<N>_<appId>` files by N, from the newest
/// `events_<N>_<appId>.compact` on (it holds what the files up to N said, see
/// `runtime/event_log.rs`; a folded file not yet removed is not read twice); in progress while
/// its `appstatus_<appId>` marker ends in `.inprogress`.
fn rolling(dir: &Path, app_id: &str) -> Option<EventLog> {
    let mut parts: Vec<(u64, bool, PathBuf)> = Vec::new();
    let mut in_progress = false;
    let mut codec = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("appstatus_") {
            in_progress = name.ends_with(INPROGRESS);
        } else if let Some(rest) = name.strip_prefix("events_")
            && let Some((n, file)) = rest.split_once('_')
            && let Ok(n) = n.parse::<u64>()
        {
            let compact = file.ends_with(COMPACT);
            let (_, file_codec, _) = split_name(file.strip_suffix(COMPACT).unwrap_or(file));
            codec = codec.or(file_codec);
            parts.push((n, compact, entry.path()));
        }
    }
    parts.sort();
    let start = parts.iter().rposition(|(_, compact, _)| *compact).unwrap_or(0);
    let files = parts.drain(start..).map(|(_, _, p)| p).collect();
    Some(EventLog { app_id: app_id.to_string(), files, in_progress, codec })
}

/// What reading the lines met besides events.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ReadProblems {
    /// Lines that are not JSON events (first one: file and line number).
    pub corrupt_lines: u64,
    pub first_corrupt: Option<String>,
    /// Lines over [`MAX_LINE`], skipped.
    pub long_lines: u64,
    /// The last line has no end: cut, or still being written.
    pub cut_last_line: bool,
    /// Files that could not be opened or read.
    pub unreadable: Vec<String>,
}

/// Whether this parser reads files of `codec` (none, or zstd).
pub(crate) fn readable_codec(codec: Option<&str>) -> bool {
    matches!(codec, None | Some("zstd"))
}

/// A file's bytes, decoded as its codec says.
fn open(path: &Path, codec: Option<&str>) -> io::Result<Box<dyn BufRead>> {
    let file = BufReader::with_capacity(READ_BUFFER, File::open(path)?);
    Ok(match codec {
        Some("zstd") => Box::new(BufReader::with_capacity(READ_BUFFER, ZstdFrames::new(file)?)),
        _ => Box::new(file),
    })
}

/// A zstd stream of one or more frames, decoded as it is read.
struct ZstdFrames {
    decoder: Option<ruzstd::decoding::StreamingDecoder<BufReader<File>, ruzstd::decoding::FrameDecoder>>,
}

impl ZstdFrames {
    fn new(source: BufReader<File>) -> io::Result<Self> {
        let decoder = ruzstd::decoding::StreamingDecoder::new(source).map_err(io::Error::other)?;
        Ok(Self { decoder: Some(decoder) })
    }
}

impl Read for ZstdFrames {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else { return Ok(0) };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame ended: another may follow.
            let (mut source, frame) = self.decoder.take().map(|d| d.into_parts()).ok_or_else(|| io::Error::other("no decoder"))?;
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            // `new_with_decoder` reads the next frame's header into the same decoder.
            self.decoder = Some(ruzstd::decoding::StreamingDecoder::new_with_decoder(source, frame).map_err(io::Error::other)?);
        }
    }
}

/// Calls `each` with every complete line of `files` in order (without its newline), decoded
/// as `codec` says. It answers false for a line it cannot read as an event, which is counted
/// as corrupt (except the final line of a log without a final newline, which is cut; so is a
/// compressed last file whose stream ends early).
pub(crate) fn for_each_line(files: &[PathBuf], codec: Option<&str>, mut each: impl FnMut(&[u8]) -> bool) -> ReadProblems {
    let mut problems = ReadProblems::default();
    let mut line = Vec::with_capacity(64 * 1024);
    for (index, path) in files.iter().enumerate() {
        let last_file = index + 1 == files.len();
        let mut reader = match open(path, codec) {
            Ok(r) => r,
            Err(e) => {
                problems.unreadable.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let mut number = 0u64;
        loop {
            line.clear();
            let read = (&mut reader).take(MAX_LINE + 1).read_until(b'\n', &mut line);
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) if last_file && codec.is_some() => {
                    problems.cut_last_line = true;
                    break;
                }
                Err(e) => {
                    problems.unreadable.push(format!("{}: {e}", path.display()));
                    break;
                }
            }
            number += 1;
            let ended = line.last() == Some(&b'\n');
            if !ended && line.len() as u64 > MAX_LINE {
                problems.long_lines += 1;
                skip_to_newline(&mut reader);
                continue;
            }
            let text = if ended { &line[..line.len() - 1] } else { &line[..] };
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if !each(text) {
                if !ended && last_file {
                    problems.cut_last_line = true;
                } else {
                    problems.corrupt_lines += 1;
                    if problems.first_corrupt.is_none() {
                        problems.first_corrupt = Some(format!("{} line {number}", file_name(path)));
                    }
                }
            }
        }
    }
    problems
}

fn skip_to_newline(reader: &mut impl BufRead) {
    loop {
        let (done, used) = match reader.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(buf) => match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            },
        };
        reader.consume(used);
        if done {
            return;
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_app_codec_and_progress() {
        assert_eq!(split_name("local-1.inprogress"), ("local-1", None, true));
        assert_eq!(split_name("app-2024.zstd"), ("app-2024", Some("zstd".into()), false));
        assert_eq!(split_name("spark-abc.lz4.inprogress"), ("spark-abc", Some("lz4".into()), true));
        assert_eq!(split_name("local-17.5"), ("local-17.5", None, false));
    }

    #[test]
    fn finds_the_asked_app_or_the_newest_and_rolling_parts_in_order() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("local-1"), "{}\n").unwrap();
        fs::write(dir.path().join(".local-1.crc"), "x").unwrap();
        let rolling = dir.path().join("eventlog_v2_local-2");
        fs::create_dir(&rolling).unwrap();
        for n in [10, 2, 1] {
            fs::write(rolling.join(format!("events_{n}_local-2")), "{}\n").unwrap();
        }
        fs::write(rolling.join("appstatus_local-2.inprogress"), "").unwrap();
        let one = find(dir.path(), Some("local-1")).unwrap();
        assert_eq!((one.app_id.as_str(), one.in_progress, one.files.len()), ("local-1", false, 1));
        let two = find(dir.path(), Some("local-2")).unwrap();
        let names: Vec<String> = two.files.iter().map(|p| file_name(p)).collect();
        assert_eq!(names, ["events_1_local-2", "events_2_local-2", "events_10_local-2"]);
        assert!(two.in_progress);
        assert!(find(&dir.path().join("nope"), None).is_none());
    }

    #[test]
    fn a_compacted_rolling_log_is_read_from_its_newest_compact_file() {
        let dir = tempfile::tempdir().unwrap();
        let rolling = dir.path().join("eventlog_v2_local-3");
        fs::create_dir(&rolling).unwrap();
        // A folded file not yet removed (5), the compact file of 1..=5, and newer files.
        for name in ["events_5_local-3", "events_5_local-3.compact", "events_6_local-3", "events_7_local-3", "events_3_local-3.compact"] {
            fs::write(rolling.join(name), "{}\n").unwrap();
        }
        let log = find(dir.path(), Some("local-3")).unwrap();
        let names: Vec<String> = log.files.iter().map(|p| file_name(p)).collect();
        assert_eq!(names, ["events_5_local-3.compact", "events_6_local-3", "events_7_local-3"]);
        assert_eq!(log.codec, None);
    }

    #[test]
    fn lines_stream_with_corrupt_and_cut_ones_counted() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "ok\nbad\n\nok").unwrap(); // a last line without newline mid-log is corrupt
        fs::write(&b, "ok\nok-but-cu").unwrap();
        let mut seen = Vec::new();
        let problems = for_each_line(&[a, b], None, |l| {
            seen.push(String::from_utf8_lossy(l).into_owned());
            l.starts_with(b"ok") && !l.ends_with(b"-cu")
        });
        assert_eq!(seen, ["ok", "bad", "ok", "ok", "ok-but-cu"]);
        assert_eq!(problems.corrupt_lines, 1);
        assert_eq!(problems.first_corrupt.as_deref(), Some("a line 2"));
        assert!(problems.cut_last_line);
    }
}
