//! Scratch directories, removed when dropped.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A fresh directory under `base` (default: the system temporary directory).
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Creates `parkops-bench-<label>-<uuid>` under `base`.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn new(base: Option<&Path>, label: &str) -> anyhow::Result<Self> {
        let base = base.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let path = base.join(format!("parkops-bench-{label}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
