//! Builds the table of the demo config's files that `src/demo.rs` compiles into the
//! binary, so that `liveclin demo` runs from any directory, with nothing beside the
//! installed binary. The table is generated rather than written by hand so that a picture
//! added to `data/demo/image/` can never be forgotten.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

/// The demo config, relative to the package root.
const DEMO: &str = "data/demo";

fn main() -> io::Result<()> {
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join(DEMO);
    // A directory makes cargo rerun this script when any file under it changes.
    println!("cargo:rerun-if-changed={DEMO}");
    let mut files = vec![(String::from("demo.jsonl"), root.join("demo.jsonl"))];
    walk(&root.join("image"), "image", &mut files)?;
    // Sorted, so that the table (and the binary) does not depend on the order the file
    // system lists the folder in.
    files.sort();
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("demo_files.rs");
    fs::write(out, table(&files))
}

/// Collects every file under `dir` with its path relative to the config folder, written
/// with `/` whatever the platform (it is joined back component by component on unpacking).
fn walk(dir: &Path, relative: &str, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|name| io::Error::other(format!("demo file name {name:?} is not UTF-8")))?;
        let path = entry.path();
        let inner = format!("{relative}/{name}");
        if entry.file_type()?.is_dir() {
            walk(&path, &inner, files)?;
        } else {
            files.push((inner, path));
        }
    }
    Ok(())
}

/// The Rust source of `FILES`: each relative path with its bytes, read by `include_bytes!`
/// so that rustc itself tracks every file. `{:?}` writes both as valid string literals.
fn table(files: &[(String, PathBuf)]) -> String {
    let mut source = String::from("pub(crate) const FILES: &[(&str, &[u8])] = &[\n");
    for (relative, path) in files {
        let path = path.to_str().expect("the package path is UTF-8");
        writeln!(source, "    ({relative:?}, include_bytes!({path:?})),")
            .expect("write to a String");
    }
    source.push_str("];\n");
    source
}
