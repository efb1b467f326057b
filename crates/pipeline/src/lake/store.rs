//! Where lake files go: a local folder or an S3 bucket, behind the few operations
//! the commit protocol needs.
//!
//! Paths here are relative to the lake root and use `/`. Every write is all-or-nothing:
//! locally a file is written beside its target under a hidden name, synced, then
//! renamed; on S3 a put (or a completed multipart upload) is atomic by the service.
//!
//! A flush writes and moves many files: [`Store::put_all`] and [`Store::promote_all`]
//! run them side by side and, locally, sync each folder once at the end instead of
//! once per file. Syncs were a third of a local run's time when done one by one.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};

use crate::lake::LakeError;

/// Files larger than this go to S3 as multipart uploads.
const MULTIPART_ABOVE: usize = 32 << 20;
/// Writes, moves or folder syncs of one flush in flight at once.
const PARALLEL: usize = 16;

/// A lake's storage.
#[derive(Debug, Clone)]
pub enum Store {
    Local(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: ObjectPath,
        /// `s3://bucket/prefix`, for messages.
        url: String,
    },
}

impl Store {
    /// `lake:` + this, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Local(root) => root.display().to_string(),
            Self::Object { url, .. } => url.clone(),
        }
    }

    fn local(root: &Path, rel: &str) -> PathBuf {
        rel.split('/').fold(root.to_owned(), |p, s| p.join(s))
    }

    fn object(prefix: &ObjectPath, rel: &str) -> ObjectPath {
        prefix
            .parts()
            .chain(ObjectPath::from(rel).parts())
            .collect()
    }

    /// The object key of `rel` (with the lake's prefix); for a local lake, `rel` itself.
    pub(crate) fn object_path(&self, rel: &str) -> ObjectPath {
        match self {
            Self::Local(_) => ObjectPath::from(rel),
            Self::Object { prefix, .. } => Self::object(prefix, rel),
        }
    }

    fn err(&self, rel: &str, e: impl Cause) -> LakeError {
        e.into_error(self.name(rel))
    }

    /// Writes `bytes` at `rel`, whole or not at all, and durably.
    pub async fn put(&self, rel: &str, bytes: impl Into<Bytes>) -> Result<(), LakeError> {
        let bytes: Bytes = bytes.into();
        match self {
            Self::Local(root) => {
                let target = Self::local(root, rel);
                let dir = parent(&target);
                self.blocking(self.name(rel), move || write_local(&target, &bytes))
                    .await?;
                self.sync_dirs([dir]).await
            }
            Self::Object { store, prefix, .. } => {
                let path = Self::object(prefix, rel);
                if bytes.len() <= MULTIPART_ABOVE {
                    store
                        .put(&path, PutPayload::from(bytes))
                        .await
                        .map_err(|e| self.err(rel, e))?;
                } else {
                    let upload = store
                        .put_multipart(&path)
                        .await
                        .map_err(|e| self.err(rel, e))?;
                    let mut w = WriteMultipart::new(upload);
                    w.write(&bytes);
                    w.finish().await.map_err(|e| self.err(rel, e))?;
                }
                Ok(())
            }
        }
    }

    /// [`Self::put`] for every `(rel, bytes)`, several at once. When it returns `Ok`,
    /// all are durable; on an error some may be written (whole) and others not.
    pub async fn put_all(&self, files: Vec<(String, Bytes)>) -> Result<(), LakeError> {
        match self {
            Self::Local(root) => {
                let dirs: BTreeSet<PathBuf> = files
                    .iter()
                    .map(|(rel, _)| parent(&Self::local(root, rel)))
                    .collect();
                futures_util::stream::iter(files)
                    .map(|(rel, bytes)| async move {
                        let target = Self::local(root, &rel);
                        self.blocking(self.name(&rel), move || write_local(&target, &bytes))
                            .await
                    })
                    .buffer_unordered(PARALLEL)
                    .try_collect::<()>()
                    .await?;
                self.sync_dirs(dirs).await
            }
            Self::Object { .. } => {
                futures_util::stream::iter(files)
                    .map(|(rel, bytes)| async move { self.put(&rel, bytes).await })
                    .buffer_unordered(PARALLEL)
                    .try_collect()
                    .await
            }
        }
    }

    /// `rel` as messages show it.
    fn name(&self, rel: &str) -> String {
        format!("{}/{rel}", self.describe())
    }

    /// Runs `f` on the blocking pool; errors name `path`.
    async fn blocking(
        &self,
        path: String,
        f: impl FnOnce() -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), LakeError> {
        let io = |source| LakeError::Io {
            path: path.clone(),
            source,
        };
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .map_err(io)
    }

    /// Syncs each local folder of `dirs` (several at once), making the renames into
    /// them durable.
    async fn sync_dirs(&self, dirs: impl IntoIterator<Item = PathBuf>) -> Result<(), LakeError> {
        futures_util::stream::iter(dirs)
            .map(|dir| async move {
                self.blocking(dir.display().to_string(), move || sync_dir(&dir))
                    .await
            })
            .buffer_unordered(PARALLEL)
            .try_collect()
            .await
    }

    /// The bytes at `rel`, or `None` if there is nothing there.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, LakeError> {
        match self {
            Self::Local(root) => match tokio::fs::read(Self::local(root, rel)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.err(rel, e)),
            },
            Self::Object { store, prefix, .. } => match store.get(&Self::object(prefix, rel)).await
            {
                Ok(r) => Ok(Some(
                    r.bytes().await.map_err(|e| self.err(rel, e))?.to_vec(),
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(self.err(rel, e)),
            },
        }
    }

    /// Moves `from` to `to` (replacing `to`). Idempotent: when `from` is gone and `to`
    /// exists, the move already happened.
    pub async fn promote(&self, from: &str, to: &str) -> Result<(), LakeError> {
        match self {
            Self::Local(root) => {
                let (src, dst) = (Self::local(root, from), Self::local(root, to));
                let dir = parent(&dst);
                self.blocking(self.name(to), move || create_dirs(&dir))
                    .await?;
                match tokio::fs::rename(&src, &dst).await {
                    Ok(()) => self.sync_dirs([parent(&dst)]).await,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && dst.exists() => Ok(()),
                    Err(e) => Err(self.err(from, e)),
                }
            }
            Self::Object { store, prefix, .. } => {
                let (src, dst) = (Self::object(prefix, from), Self::object(prefix, to));
                match store.copy(&src, &dst).await {
                    Ok(()) => {}
                    Err(object_store::Error::NotFound { .. }) => {
                        return match store.head(&dst).await {
                            Ok(_) => Ok(()),
                            Err(e) => Err(self.err(to, e)),
                        };
                    }
                    Err(e) => return Err(self.err(to, e)),
                }
                match store.delete(&src).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(self.err(from, e)),
                }
            }
        }
    }

    /// [`Self::promote`] for every `(from, to)`, several at once. When it returns
    /// `Ok`, every move is durable.
    pub async fn promote_all(&self, moves: Vec<(String, String)>) -> Result<(), LakeError> {
        match self {
            Self::Local(root) => {
                let paths: Vec<(PathBuf, PathBuf)> = moves
                    .iter()
                    .map(|(from, to)| (Self::local(root, from), Self::local(root, to)))
                    .collect();
                let dirs: BTreeSet<PathBuf> = paths.iter().map(|(_, dst)| parent(dst)).collect();
                // Renames are cheap metadata operations: one blocking task for all.
                self.blocking(self.describe(), move || {
                    for (src, dst) in &paths {
                        create_dirs(&parent(dst))?;
                        match std::fs::rename(src, dst) {
                            Ok(()) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound && dst.exists() => {}
                            Err(e) => {
                                return Err(std::io::Error::new(
                                    e.kind(),
                                    format!("moving {} to {}: {e}", src.display(), dst.display()),
                                ));
                            }
                        }
                    }
                    Ok(())
                })
                .await?;
                self.sync_dirs(dirs).await
            }
            Self::Object { .. } => {
                futures_util::stream::iter(moves)
                    .map(|(from, to)| async move { self.promote(&from, &to).await })
                    .buffer_unordered(PARALLEL)
                    .try_collect()
                    .await
            }
        }
    }

    /// Relative paths of the files under the folder `dir`, recursively.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>, LakeError> {
        match self {
            Self::Local(root) => {
                let mut out = Vec::new();
                let mut todo = vec![dir.to_owned()];
                while let Some(d) = todo.pop() {
                    let mut entries = match tokio::fs::read_dir(Self::local(root, &d)).await {
                        Ok(e) => e,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(self.err(&d, e)),
                    };
                    while let Some(entry) =
                        entries.next_entry().await.map_err(|e| self.err(&d, e))?
                    {
                        let name = format!("{d}/{}", entry.file_name().to_string_lossy());
                        let is_dir = entry
                            .file_type()
                            .await
                            .map_err(|e| self.err(&name, e))?
                            .is_dir();
                        if is_dir {
                            todo.push(name)
                        } else {
                            out.push(name)
                        }
                    }
                }
                out.sort();
                Ok(out)
            }
            Self::Object { store, prefix, .. } => {
                let base = Self::object(prefix, dir);
                let found: Vec<_> = store
                    .list(Some(&base))
                    .try_collect()
                    .await
                    .map_err(|e| self.err(dir, e))?;
                let skip = prefix.parts().count();
                let mut out: Vec<String> = found
                    .into_iter()
                    .map(|m| {
                        m.location
                            .parts()
                            .skip(skip)
                            .map(|p| p.as_ref().to_owned())
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .collect();
                out.sort();
                Ok(out)
            }
        }
    }

    /// Removes `rel`; nothing there is fine.
    pub async fn delete(&self, rel: &str) -> Result<(), LakeError> {
        match self {
            Self::Local(root) => match tokio::fs::remove_file(Self::local(root, rel)).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(self.err(rel, e)),
            },
            Self::Object { store, prefix, .. } => {
                match store.delete(&Self::object(prefix, rel)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(self.err(rel, e)),
                }
            }
        }
    }
}

/// The cause of a failed store operation, kept in the [`LakeError`].
trait Cause {
    fn into_error(self, path: String) -> LakeError;
}

impl Cause for std::io::Error {
    fn into_error(self, path: String) -> LakeError {
        LakeError::Io { path, source: self }
    }
}

impl Cause for object_store::Error {
    fn into_error(self, path: String) -> LakeError {
        LakeError::Object { path, source: self }
    }
}

/// The folder of a local path.
/// The folder `path` is in; `.` for a bare file name (whose `parent()` is `""`, which
/// cannot be opened to sync it).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to the local file `target` whole or not at all, and durably: the
/// lake's own way of writing, for any file a reader must never see half-written (a
/// run's ground-truth manifest, say).
pub fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_local(target, bytes)?;
    sync_dir(&parent(target))
}

/// Writes a hidden temporary beside `target`, syncs it and renames it over `target`:
/// a reader sees the old file, no file, or the whole new one. The rename is durable
/// once the caller syncs the folder.
fn write_local(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent(target);
    create_dirs(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `create_dir_all`, durably: the entry of each folder it creates is in the folder
/// above, which is synced too, so that a new `dt=…/hour=…` survives a power cut along
/// with the files the checkpoint says were moved into it.
fn create_dirs(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let new: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    std::fs::create_dir_all(dir)?;
    for d in new.iter().rev() {
        // A relative path's first folder has the empty path as its parent: the working
        // directory (opening "" fails).
        let above = match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        sync_dir(above)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
