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

/// An empty scratch folder for one test (`tag`: the test file, so parallel
/// test binaries do not collide); an earlier run's leftovers removed.
#[allow(dead_code)] // not every test binary uses it
pub fn fresh_dir(tag: &str, name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("levamp-{tag}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The path of a shipped scenario.
#[allow(dead_code)] // not every test binary uses it
pub fn shipped(name: &str) -> String {
    format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}
