//! Output files (`--events`, `--state-out`) that never replace what they
//! should not.
//!
//! - A new or existing regular file is written to a fresh temporary file
//!   beside it and renamed into place by [`OutFile::commit`]; dropped
//!   uncommitted (a failed run), the temporary file is removed and an
//!   existing file is left as it was.
//! - A symlink is followed: its target is written, the link stays.
//! - Anything else that exists (a FIFO, a device such as `/dev/stdout` or
//!   `/dev/null`), and any path under `/dev/` or `/proc/`, is written
//!   directly and never renamed over; a failed run may have written part of
//!   its output there.
//! - A directory or a symlink to nothing is an error.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// An output file being written; see the module documentation.
pub struct OutFile {
    /// The path as the user named it, for messages.
    path: PathBuf,
    writer: BufWriter<File>,
    /// (temporary file, file it replaces) when written atomically.
    rename: Option<(PathBuf, PathBuf)>,
}

/// Distinguishes the temporary files of one process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl OutFile {
    /// Opens `path` for writing as the module documentation describes.
    pub fn create(path: &Path) -> Result<OutFile> {
        let shown = path.display();
        let special = path.starts_with("/dev") || path.starts_with("/proc");
        let (file, rename) = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => bail!("{shown}: is a directory"),
            _ if special => (direct(path)?, None),
            Ok(m) if !m.is_file() => (direct(path)?, None),
            Ok(m) => {
                let target =
                    std::fs::canonicalize(path).with_context(|| format!("cannot write {shown}"))?;
                let (file, temp) = temporary(&target)?;
                // The new file keeps the permissions of the one it replaces.
                let _ = file.set_permissions(m.permissions());
                (file, Some((temp, target)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(path).is_ok() {
                    bail!("{shown}: is a symlink to a file that does not exist");
                }
                let (file, temp) = temporary(path)?;
                (file, Some((temp, path.to_path_buf())))
            }
            Err(e) => bail!("cannot write {shown}: {e}"),
        };
        Ok(OutFile {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 16, file),
            rename,
        })
    }

    /// Writes `bytes`; errors name the file.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// The buffered writer, for serializers; map its errors with [`Self::error`].
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// An error writing this file, naming it.
    pub fn error(&self, e: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("cannot write {}: {e}", self.path.display())
    }

    /// Flushes and, for a regular file, renames the temporary file into place.
    pub fn commit(mut self) -> Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        if let Some((temp, target)) = self.rename.take() {
            if let Err(e) = std::fs::rename(&temp, &target) {
                let _ = std::fs::remove_file(&temp);
                return Err(self.error(e));
            }
        }
        Ok(())
    }
}

impl Drop for OutFile {
    /// An uncommitted output leaves no temporary file behind.
    fn drop(&mut self) {
        if let Some((temp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// An existing special file opened for writing as it is.
fn direct(path: &Path) -> Result<File> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A new temporary file beside `target`, created exclusively.
fn temporary(target: &Path) -> Result<(File, PathBuf)> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "levamp".into());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
            Err(e) => bail!("cannot write {}: {e}", target.display()),
        }
    }
}

/// Output held back until a run has succeeded (standard output must stay
/// empty when it fails), kept in an unnamed temporary file rather than in
/// memory: the file is removed as soon as it is created, so nothing is left
/// behind however the process ends.
pub struct Spool {
    writer: BufWriter<File>,
}

impl Spool {
    /// A new spool in the temporary directory (`TMPDIR`).
    pub fn new() -> Result<Spool> {
        let dir = std::env::temp_dir();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".levamp-spool-{}-{n}", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot create a temporary file in {} (set TMPDIR)",
                    dir.display()
                )
            })?;
        let _ = std::fs::remove_file(&path);
        Ok(Spool {
            writer: BufWriter::with_capacity(1 << 16, file),
        })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Copies everything written so far to `out`.
    pub fn copy_to(self, out: &mut dyn Write) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let mut file = self.writer.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut file, out)?;
        Ok(())
    }
}
