//! Running a command line in-process ([`invoke`]) with its standard output
//! captured in memory and, optionally, its standard input given as text:
//! the same parsing, validation and output code as the binary, so a caller
//! (the Python package) gets the CLI's exact bytes and exact error line.
//!
//! The redirection is per thread: [`invoke`] sets it on the calling thread
//! for the duration of the command, and the commands write their output
//! only from that thread ([`crate::venue_cmd::emit_with`]).

use crate::{execute, Cli};
use clap::Parser;
use std::cell::RefCell;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

thread_local! {
    static STDOUT: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    static STDIN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What a command line did when run by [`invoke`].
#[derive(Debug)]
pub struct Invocation {
    /// The exit code the binary would return (0, 1 for `recommend`'s "no
    /// recommendation", 2 for an error).
    pub code: u8,
    /// Everything the command wrote to standard output.
    pub stdout: Vec<u8>,
    /// The error line the binary prints after `error: ` (exit 2).
    pub error: Option<String>,
    /// Whether the error is bad input (an input file, a field, a line, an
    /// argument) rather than an I/O or simulation failure.
    pub input_error: bool,
}

/// Runs `levamp ARGS…` in this process: standard output captured, standard
/// input read from `stdin` when given (for `-` as a file name).
pub fn invoke<I, T>(args: I, stdin: Option<String>) -> Invocation
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv = std::iter::once(OsString::from("levamp")).chain(args.into_iter().map(Into::into));
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            return Invocation {
                code: 2,
                stdout: Vec::new(),
                error: Some(crate::usage_line(&e)),
                input_error: true,
            }
        }
    };
    STDOUT.with_borrow_mut(|o| *o = Some(Vec::new()));
    STDIN.with_borrow_mut(|i| *i = stdin);
    let result = execute(cli);
    let stdout = STDOUT.with_borrow_mut(Option::take).unwrap_or_default();
    STDIN.with_borrow_mut(Option::take);
    match result {
        Ok(code) => Invocation {
            code: if code == ExitCode::SUCCESS { 0 } else { 1 },
            stdout,
            error: None,
            input_error: false,
        },
        Err(e) => {
            let (line, input_error) = error_line(&e);
            Invocation {
                code: 2,
                stdout,
                error: Some(line),
                input_error,
            }
        }
    }
}

/// A command's error as the binary prints it after `error: ` (one line),
/// and whether it is bad input ([`levamp_io::InputError`] in its chain).
pub fn error_line(e: &anyhow::Error) -> (String, bool) {
    (
        crate::table::escape(&format!("{e:#}")).into_owned(),
        e.chain().any(|c| c.is::<levamp_io::InputError>()),
    )
}

/// Runs `write` on the captured standard output of this thread, if
/// [`invoke`] is capturing it; `None` otherwise.
pub(crate) fn write_captured(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Option<std::io::Result<()>> {
    STDOUT.with_borrow_mut(|o| o.as_mut().map(|buf| write(buf)))
}

/// The standard input [`invoke`] was given (taken: read once).
pub(crate) fn take_stdin() -> Option<String> {
    STDIN.with_borrow_mut(Option::take)
}
