//! One writer per (source, lake): the lock a checkpointed writer holds.
//!
//! Two `csgen enrich` runs over the same source into the same lake would share a writer
//! id and checkpoint and delete each other's staged files. The second is refused:
//!
//! - **local lake**: an advisory lock (`flock`) on `_csgen/locks/{name}.lock`, held
//!   while the process lives; the kernel releases it when the process ends, however it
//!   ends, so a crashed run never blocks the next one. The file names the holder.
//! - **S3 lake**: a lease object at the same key, created only if absent (a
//!   conditional `If-None-Match` put) and renewed with `If-Match` on its ETag before
//!   every commit, so a writer that lost its lease (another took over an expired one)
//!   stops before it commits. A crashed run's lease expires after [`LEASE`].

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use object_store::{ObjectStoreExt as _, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::LakeError;
use super::store::Store;

/// How long an S3 lease lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(120);

/// A held lock; dropping it releases a local lock (an S3 lease: [`LakeLock::release`]).
pub struct LakeLock {
    path: String,
    held: Held,
}

enum Held {
    Local(#[allow(dead_code)] std::fs::File),
    Lease(Lease),
}

/// An S3 lease this run holds: the version it last wrote, and when.
struct Lease {
    /// The object store of `store`, which is always an S3 lake.
    os: std::sync::Arc<dyn object_store::ObjectStore>,
    store: Store,
    e_tag: Option<String>,
    renewed: Instant,
    lease: Duration,
    owner: String,
}

/// The content of a lock file or lease: who holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    owner: String,
    /// Unix ms when an S3 lease expires (0 for local locks).
    #[serde(default)]
    expires_ms: i64,
}

impl LakeLock {
    /// Takes lock `name` (a checkpoint's name) of the lake in `store`, or fails with
    /// [`LakeError::Locked`] naming the holder.
    pub async fn acquire(store: &Store, name: &str) -> Result<Self, LakeError> {
        Self::acquire_with_lease(store, name, LEASE).await
    }

    /// [`Self::acquire`] with another lease length (tests).
    pub async fn acquire_with_lease(
        store: &Store,
        name: &str,
        lease: Duration,
    ) -> Result<Self, LakeError> {
        let path = format!("_csgen/locks/{name}.lock");
        let owner = owner();
        match store {
            Store::Local(root) => {
                let file_path = path.split('/').fold(root.clone(), |p, s| p.join(s));
                let io = |source| LakeError::Io {
                    path: file_path.display().to_string(),
                    source,
                };
                if let Some(dir) = file_path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&file_path)
                    .map_err(io)?;
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        let holder = std::fs::read_to_string(&file_path).unwrap_or_default();
                        return Err(LakeError::Locked {
                            lock: store_name(store, &path),
                            holder: serde_json::from_str::<Holder>(&holder)
                                .map_or_else(|_| "another process".to_owned(), |h| h.owner),
                        });
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
                }
                let me = serde_json::to_vec(&Holder {
                    owner,
                    expires_ms: 0,
                })
                .expect("a holder always serialises");
                file.set_len(0).map_err(io)?;
                file.write_all(&me).map_err(io)?;
                Ok(Self {
                    path,
                    held: Held::Local(file),
                })
            }
            Store::Object { store: os, .. } => {
                let mut held = Lease {
                    os: os.clone(),
                    store: store.clone(),
                    e_tag: None,
                    renewed: Instant::now(),
                    lease,
                    owner,
                };
                held.take(&path).await?;
                Ok(Self {
                    path,
                    held: Held::Lease(held),
                })
            }
        }
    }

    /// Proves the lock is still this writer's before a commit: renews an S3 lease once a
    /// third of it has passed, and fails with [`LakeError::LockLost`] if another writer
    /// took it over. Nothing to do for a local lock.
    pub async fn confirm(&mut self) -> Result<(), LakeError> {
        match &mut self.held {
            Held::Local(_) => Ok(()),
            Held::Lease(lease) => lease.confirm(&self.path).await,
        }
    }

    /// Gives an S3 lease back at the end of a run (a local lock goes with the process).
    pub async fn release(self) {
        if let Held::Lease(lease) = &self.held {
            let _ = lease.store.delete(&self.path).await;
        }
    }
}

impl Lease {
    /// See [`LakeLock::confirm`].
    async fn confirm(&mut self, path: &str) -> Result<(), LakeError> {
        let Self {
            os,
            store,
            e_tag,
            renewed,
            lease,
            owner,
        } = self;
        if renewed.elapsed() < *lease / 3 {
            return Ok(());
        }
        let body = lease_body(owner, *lease);
        let mode = PutMode::Update(UpdateVersion {
            e_tag: e_tag.clone(),
            version: None,
        });
        let key = store.object_path(path);
        match os.put_opts(&key, body, PutOptions::from(mode)).await {
            Ok(put) => {
                *e_tag = put.e_tag;
                *renewed = Instant::now();
                Ok(())
            }
            Err(
                object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. },
            ) => Err(LakeError::LockLost {
                lock: store_name(store, path),
            }),
            Err(source) => Err(LakeError::Object {
                path: store_name(store, path),
                source,
            }),
        }
    }

    /// Creates the lease, or takes over an expired one.
    async fn take(&mut self, path: &str) -> Result<(), LakeError> {
        let Self {
            os,
            store,
            e_tag,
            renewed,
            lease,
            owner,
        } = self;
        let key = store.object_path(path);
        let name = store_name(store, path);
        let object_err = |source| LakeError::Object {
            path: name.clone(),
            source,
        };
        let create = PutOptions::from(PutMode::Create);
        let put = match os.put_opts(&key, lease_body(owner, *lease), create).await {
            Ok(put) => put,
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => {
                let current = os.get(&key).await.map_err(object_err)?;
                let version = current.meta.e_tag.clone();
                let bytes = current.bytes().await.map_err(object_err)?;
                let holder: Holder = serde_json::from_slice(&bytes).unwrap_or(Holder {
                    owner: "an unreadable lease".to_owned(),
                    expires_ms: i64::MAX,
                });
                if holder.expires_ms > now_ms() {
                    return Err(LakeError::Locked {
                        lock: name,
                        holder: format!(
                            "{} (its lease runs until {})",
                            holder.owner,
                            crate::time::format_ms(holder.expires_ms)
                        ),
                    });
                }
                tracing::warn!(lock = %name, stale = %holder.owner, "lake: taking over an expired lease");
                let update = PutOptions::from(PutMode::Update(UpdateVersion {
                    e_tag: version,
                    version: None,
                }));
                os.put_opts(&key, lease_body(owner, *lease), update)
                    .await
                    .map_err(|e| match e {
                        object_store::Error::Precondition { .. } => LakeError::Locked {
                            lock: name.clone(),
                            holder: "another writer that took it over at the same time".into(),
                        },
                        e => object_err(e),
                    })?
            }
            Err(e) => return Err(object_err(e)),
        };
        *e_tag = put.e_tag;
        *renewed = Instant::now();
        Ok(())
    }
}

fn lease_body(owner: &str, lease: Duration) -> PutPayload {
    let expires_ms = now_ms().saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
    PutPayload::from(
        serde_json::to_vec(&Holder {
            owner: owner.to_owned(),
            expires_ms,
        })
        .expect("a holder always serialises"),
    )
}

/// `pid 123 on host h, since 2026-…`: enough to find the other run.
fn owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "an unknown host".to_owned());
    format!(
        "pid {} on {host}, since {}",
        std::process::id(),
        crate::time::format_ms(now_ms())
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn store_name(store: &Store, rel: &str) -> String {
    format!("{}/{rel}", store.describe())
}
