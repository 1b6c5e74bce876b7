//! Where a config's files live, resolved exactly as the official tool does.

use std::path::{Component, Path, PathBuf};

/// The dataset config used when `--dataset` is not given.
pub const DEFAULT_CONFIG: &str = "2025_H1";

/// The JSONL file and image directory of one config.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPaths {
    pub jsonl: PathBuf,
    pub image_root: PathBuf,
}

impl DataPaths {
    /// `--jsonl-path` and `--image-root` each beat `--data-dir`, which resolves to
    /// `D/data/<config>/<config>.jsonl` and `D/data/<config>/image/`.
    pub fn resolve(
        data_dir: &Path,
        config: &str,
        jsonl_path: Option<&Path>,
        image_root: Option<&Path>,
    ) -> Self {
        let config_dir = data_dir.join("data").join(config);
        DataPaths {
            jsonl: jsonl_path
                .map(Path::to_path_buf)
                .unwrap_or_else(|| config_dir.join(format!("{config}.jsonl"))),
            image_root: image_root
                .map(Path::to_path_buf)
                .unwrap_or_else(|| config_dir.join("image")),
        }
    }
}

/// Why an image `file` from the dataset is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum UnsafePath {
    #[error("absolute path {0:?} (image files must be relative to the image root)")]
    Absolute(String),
    #[error("path {0:?} leaves the image root")]
    Escapes(String),
    #[error("path {0:?} leads out of the image root through a symbolic link")]
    LinksOut(String),
}

/// Joins a dataset image path to the image root, refusing absolute paths, paths whose
/// `..` parts climb out of the root, and paths that a symbolic link leads out of it: a
/// dataset (or a link planted in its folder) must never make us read and send other
/// files. The path returned is the joined one, not the resolved one, so that what is
/// shown and fingerprinted does not depend on where the links point.
pub(crate) fn image_path(image_root: &Path, file: &str) -> Result<PathBuf, UnsafePath> {
    let path = lexical_image_path(image_root, file)?;
    if links_out(image_root, &path) {
        return Err(UnsafePath::LinksOut(file.to_string()));
    }
    Ok(path)
}

/// The image root joined with `file`, `..` resolved lexically (`a/../b.png` is `b.png`
/// even when `a` does not exist), as the official tool's `Path.resolve()` does.
fn lexical_image_path(image_root: &Path, file: &str) -> Result<PathBuf, UnsafePath> {
    let mut normal: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(file).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err(UnsafePath::Absolute(file.to_string()));
            }
            Component::ParentDir => {
                normal
                    .pop()
                    .ok_or_else(|| UnsafePath::Escapes(file.to_string()))?;
            }
            Component::Normal(part) => normal.push(part),
            Component::CurDir => {}
        }
    }
    Ok(normal
        .iter()
        .fold(image_root.to_path_buf(), |path, part| path.join(part)))
}

/// Whether `path`, resolved through every symbolic link, lies outside the resolved image
/// root. A path that does not resolve (nothing there, or a dangling link) is not read by
/// anyone, so it is missing rather than unsafe.
fn links_out(image_root: &Path, path: &Path) -> bool {
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    image_root
        .canonicalize()
        .is_ok_and(|root| !real.starts_with(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_layout_and_overrides() {
        let p = DataPaths::resolve(Path::new("d"), "2025_H1", None, None);
        assert_eq!(p.jsonl, Path::new("d/data/2025_H1/2025_H1.jsonl"));
        assert_eq!(p.image_root, Path::new("d/data/2025_H1/image"));
        let p = DataPaths::resolve(Path::new("d"), "demo", Some(Path::new("x.jsonl")), None);
        assert_eq!(p.jsonl, Path::new("x.jsonl"));
        assert_eq!(p.image_root, Path::new("d/data/demo/image"));
        let p = DataPaths::resolve(Path::new("d"), "demo", None, Some(Path::new("imgs")));
        assert_eq!(p.jsonl, Path::new("d/data/demo/demo.jsonl"));
        assert_eq!(p.image_root, Path::new("imgs"));
    }

    #[test]
    fn image_paths_stay_inside_the_root() {
        let root = Path::new("/data/image");
        assert_eq!(
            image_path(root, "a/b.png").unwrap(),
            Path::new("/data/image/a/b.png")
        );
        assert_eq!(
            image_path(root, "./a/../b.png").unwrap(),
            Path::new("/data/image/b.png")
        );
        assert!(matches!(
            image_path(root, "/etc/passwd"),
            Err(UnsafePath::Absolute(_))
        ));
        assert!(matches!(
            image_path(root, "../secret.png"),
            Err(UnsafePath::Escapes(_))
        ));
        assert!(matches!(
            image_path(root, "a/../../b.png"),
            Err(UnsafePath::Escapes(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_must_stay_inside_the_root() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("image");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/real.png"), b"picture").unwrap();
        std::fs::write(dir.path().join(".env"), b"PASSWORD=x").unwrap();
        symlink(dir.path().join(".env"), root.join("secret.png")).unwrap();
        symlink(dir.path(), root.join("parent")).unwrap();
        symlink("sub/real.png", root.join("alias.png")).unwrap();
        symlink("nowhere.png", root.join("dangling.png")).unwrap();

        assert_eq!(
            image_path(&root, "secret.png"),
            Err(UnsafePath::LinksOut("secret.png".into()))
        );
        assert_eq!(
            image_path(&root, "parent/.env"),
            Err(UnsafePath::LinksOut("parent/.env".into()))
        );
        // Links inside the root, and paths that lead nowhere, are not unsafe; the path
        // returned is the joined one.
        assert_eq!(
            image_path(&root, "alias.png").unwrap(),
            root.join("alias.png")
        );
        assert_eq!(
            image_path(&root, "dangling.png").unwrap(),
            root.join("dangling.png")
        );
        assert_eq!(
            image_path(&root, "absent.png").unwrap(),
            root.join("absent.png")
        );
        // A root reached through a link is resolved too: its own files stay inside it.
        let linked_root = dir.path().join("linked");
        symlink(&root, &linked_root).unwrap();
        assert_eq!(
            image_path(&linked_root, "sub/real.png").unwrap(),
            linked_root.join("sub/real.png")
        );
        assert!(image_path(&linked_root, "secret.png").is_err());
    }
}
