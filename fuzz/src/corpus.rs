//! The corpus on disk: `corpus/<target>/<hash>.bin` holds an input's bytes and, for the decode
//! target, `<hash>.avsc` beside it holds the writer schema. Every file is a defect found once
//! and is replayed by the tests from then on.

use crate::input::Input;
use crate::target::TargetKind;
use std::io;
use std::path::{Path, PathBuf};

/// The corpus shipped with the crate.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Writes `input` under `dir/<target>/` and returns the path of its `.bin` file.
pub fn save(dir: &Path, target: TargetKind, input: &Input) -> io::Result<PathBuf> {
    let folder = dir.join(target.name());
    std::fs::create_dir_all(&folder)?;
    let stem = folder.join(input.hash());
    if let Some(schema) = &input.schema {
        std::fs::write(stem.with_extension("avsc"), schema)?;
    }
    let path = stem.with_extension("bin");
    std::fs::write(&path, &input.bytes)?;
    Ok(path)
}

/// One corpus entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The target it belongs to.
    pub target: TargetKind,
    /// Its `.bin` file.
    pub path: PathBuf,
    /// The input.
    pub input: Input,
}

/// Every entry under `dir`, sorted by path; a missing folder is an empty corpus.
pub fn load(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for target in TargetKind::ALL {
        let folder = dir.join(target.name());
        let listing = match std::fs::read_dir(&folder) {
            Ok(listing) => listing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for item in listing {
            let path = item?.path();
            if path.extension().is_some_and(|ext| ext == "bin") {
                entries.push(read_entry(target, path)?);
            }
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

fn read_entry(target: TargetKind, path: PathBuf) -> io::Result<Entry> {
    let bytes = std::fs::read(&path)?;
    let schema = match std::fs::read_to_string(path.with_extension("avsc")) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    Ok(Entry {
        target,
        path,
        input: Input { schema, bytes },
    })
}
