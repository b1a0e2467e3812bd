//! Records the git commit the binary was built from, for run manifests.
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=SCORELAB_GIT_COMMIT={commit}{suffix}");
    // Again after a commit (the branch's ref moves; HEAD itself names the
    // branch and does not change), after staging, and after any edit of
    // what the binary is built from, so neither the commit nor "-dirty"
    // goes stale. (Edits of the docs alone do not rebuild the binary.)
    for path in [
        "../../.git/HEAD",
        "../../.git/index",
        "../../.git/refs/heads",
        "../../crates",
        "../../scenarios",
        "../../Cargo.toml",
        "../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
