//! The README works as written: every command in its `sh` blocks runs and
//! exits 0, in order, from a copy of the repository's inputs (issue #11).
//!
//! `./target/release/levamp` is this test's build of the binary (debug, same
//! code); `cargo …` lines and [`TEST_COMMAND`] are the build and test
//! commands themselves (this test runs inside the test command; CI runs the
//! build) and are only checked to be the ones `.ci/run` and the README
//! promise.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The README's single test command: the Rust tests, then the Python
/// package's (`scripts/pytest.sh`). `.ci/run` runs exactly this line.
const TEST_COMMAND: &str = "cargo test --workspace && ./scripts/pytest.sh";

/// The repository root (two levels above this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Commands of the README's ```sh blocks: one per line, comments and blank
/// lines dropped, with the line number they start on.
fn readme_commands(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if !in_sh || t.is_empty() || t.starts_with('#') {
            continue;
        }
        // A trailing comment (after two spaces or more) is not part of the command.
        let cmd = match t.find("  #") {
            Some(at) => t[..at].trim_end(),
            None => t,
        };
        out.push((i + 1, cmd.to_string()));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn readme_commands_are_found() {
    let cmds = readme_commands(
        "text\n```sh\n# c\nlevamp a  # note\n\nlevamp b < x\n```\n```toml\nx = 1\n```\n",
    );
    assert_eq!(
        cmds,
        vec![(4, "levamp a".to_string()), (6, "levamp b < x".to_string())]
    );
}

#[test]
fn every_readme_command_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let cmds = readme_commands(&readme);
    assert!(
        cmds.len() >= 8,
        "the README shows its commands in sh blocks"
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let d = std::env::temp_dir().join(format!("levamp-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    // The inputs the README names, at the same relative paths.
    for dir in [
        "scenarios",
        "examples",
        "networks",
        "crates/levamp-cli/assets",
        "crates/levamp-io/tests/fixtures/import",
    ] {
        if root().join(dir).is_dir() {
            copy_dir(&root().join(dir), &d.join(dir));
        }
    }
    let bin = env!("CARGO_BIN_EXE_levamp");
    assert!(
        cmds.iter().any(|(_, c)| c == TEST_COMMAND),
        "the README shows the test command `{TEST_COMMAND}`"
    );
    assert!(
        ci.lines().any(|l| l.trim() == TEST_COMMAND),
        ".ci/run must run the README's test command `{TEST_COMMAND}`"
    );
    let mut ran = 0;
    for (line, cmd) in &cmds {
        if cmd == TEST_COMMAND {
            continue; // this test runs inside it
        }
        if let Some(cargo) = cmd.strip_prefix("cargo ") {
            let known = ["run --release", "test --workspace", "build --release"];
            assert!(
                known.contains(&cargo),
                "README.md:{line}: unexpected cargo command `{cmd}`"
            );
            if cargo == "test --workspace" {
                assert!(
                    ci.lines().any(|l| l.trim() == cmd),
                    ".ci/run must run the README's test command `{cmd}`"
                );
            }
            continue;
        }
        let shell = cmd.replace("./target/release/levamp", bin);
        assert!(
            shell.starts_with(bin) || shell.starts_with("python3 "),
            "README.md:{line}: a command this test does not know how to run: `{cmd}`"
        );
        if shell.starts_with("python3 ") {
            continue; // helper scripts of the benchmarks; run by their own docs
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&shell)
            .current_dir(&d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README.md:{line}: `{cmd}` exited {:?}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 6, "ran {ran} README commands");
    let _ = std::fs::remove_dir_all(&d);
}
