//! The run-directory readers (what `explain`, `compare`, `--resume` and the
//! dashboard read) on a valid small run with one file replaced by the
//! input: the first byte picks the file, the rest is its new content.
//! Every reader must return an error or a value; none may panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scorelab_store::fuzzing;

struct Dirs {
    _keep: tempfile::TempDir,
    template: PathBuf,
    scratch: PathBuf,
}

fn dirs() -> &'static Dirs {
    static DIRS: OnceLock<Dirs> = OnceLock::new();
    DIRS.get_or_init(|| {
        let keep = tempfile::tempdir().expect("a temporary folder");
        let template = keep.path().join("template");
        fuzzing::write_template(&template).expect("the template run");
        let scratch = keep.path().join("scratch");
        std::fs::create_dir_all(&scratch).expect("a scratch folder");
        Dirs { template, scratch, _keep: keep }
    })
}

fuzz_target!(|data: &[u8]| {
    let d = dirs();
    if fuzzing::apply(&d.template, &d.scratch, data).is_ok() {
        fuzzing::read_everything(&d.scratch);
    }
});
