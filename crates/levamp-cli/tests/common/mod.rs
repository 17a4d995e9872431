//! Runs the `levamp` binary for the end-to-end tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `levamp ARGS` with `stdin` piped in and `RUST_BACKTRACE=1` (so a
/// panic would show): (exit code, stdout, stderr).
pub fn levamp(args: &[&str], stdin: &str) -> (i32, String, String) {
    levamp_with(args, stdin.as_bytes(), None, &[])
}

/// [`levamp`] with raw `stdin` bytes, an optional working directory and
/// extra environment variables.
#[allow(dead_code)]
pub fn levamp_with(
    args: &[&str],
    stdin: &[u8],
    cwd: Option<&Path>,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_levamp"));
    cmd.args(args)
        .env("RUST_BACKTRACE", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // The child may stop reading early (an input limit): a broken pipe is fine.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
