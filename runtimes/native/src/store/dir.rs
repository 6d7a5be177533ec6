//! The directory store's storage. Layout under the root:
//!
//! ```text
//! <key path>                    one record per object (see keymap for the path of a key):
//!                               data ‖ JSON ObjectMeta ‖ footer (see blob)
//! .multistore/tmp/              bodies being written; emptied at open
//! .multistore/uploads/<id>/upload.json   a multipart upload (UploadMeta, JSON)
//! .multistore/uploads/<id>/<n>           part n: data ‖ JSON PartMeta ‖ footer
//! .multistore/cors.xml          the bucket's CORS document
//! ```
//!
//! Every write goes to a fresh file in `.multistore/tmp` (same file system as its target),
//! is fsynced with its metadata appended, then renamed into place, and the directory is
//! fsynced: a reader opens either the old record or the new one, never a mix, and a crash
//! leaves at most a temp file, which the next open deletes. Replacing the metadata of an
//! object (tagging) writes a new record with the data copied, by the same route.
//!
//! Listing uses an in-memory sorted index (key → size, ETag, time, storage class,
//! checksum), built at open by walking the root and updated after every commit. One store
//! owns its directory: another process writing there is not seen until the next open.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::{Bound, ControlFlow};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use bytes::Bytes;
use futures_util::StreamExt;

use super::backend::{Backend, Visit};
use super::blob::{self, Blob, Staged, TempFile, Writer};
use super::keymap::{key_to_path, path_to_key};
use super::meta::{ListEntry, ObjectMeta, PartMeta, UploadMeta};

/// The store's own directory under the root.
pub const SYSTEM_DIR: &str = ".multistore";
const UPLOAD_FILE: &str = "upload.json";

struct Upload {
    meta: UploadMeta,
    parts: BTreeMap<i32, PartMeta>,
}

/// Storage in a directory.
pub struct DirBackend {
    root: PathBuf,
    tmp: PathBuf,
    uploads_dir: PathBuf,
    index: RwLock<BTreeMap<String, ListEntry>>,
    uploads: Mutex<HashMap<String, Upload>>,
    counter: AtomicU64,
}

fn invalid_key() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "the key has no file path")
}

impl DirBackend {
    /// Opens (creating if needed) the store at `root`: empties the temp directory, then loads
    /// the object index and the uploads.
    pub async fn open(root: PathBuf) -> io::Result<Self> {
        tokio::task::spawn_blocking(move || Self::open_blocking(root))
            .await
            .map_err(io::Error::other)?
    }

    fn open_blocking(root: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        let sys = root.join(SYSTEM_DIR);
        let tmp = sys.join("tmp");
        match std::fs::remove_dir_all(&tmp) {
            Err(e) if !blob::is_absent(&e) => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(&tmp)?;
        let uploads_dir = sys.join("uploads");
        std::fs::create_dir_all(&uploads_dir)?;
        let mut index = BTreeMap::new();
        scan_objects(&root, Path::new(""), &mut index)?;
        let uploads = scan_uploads(&uploads_dir)?;
        Ok(Self {
            root,
            tmp,
            uploads_dir,
            index: RwLock::new(index),
            uploads: Mutex::new(uploads),
            counter: AtomicU64::new(0),
        })
    }

    fn object_path(&self, key: &str) -> io::Result<PathBuf> {
        key_to_path(key)
            .map(|p| self.root.join(p))
            .ok_or_else(invalid_key)
    }

    fn temp_path(&self) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let salt = getrandom::u64().unwrap_or(0);
        self.tmp.join(format!("{n}-{salt:016x}"))
    }

    /// The directory of an upload; `None` for ids we never issue (they are hex).
    fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        let ours = !upload_id.is_empty() && upload_id.bytes().all(|b| b.is_ascii_hexdigit());
        ours.then(|| self.uploads_dir.join(upload_id))
    }

    fn uploads_mut(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        self.uploads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn index(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, ListEntry>> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, ListEntry>> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renames a sealed temp file to `path`, creating parent directories (retrying when a
    /// concurrent delete removes an empty parent in between), then fsyncs the parent.
    async fn publish(&self, temp: TempFile, path: &Path) -> io::Result<()> {
        let parent = path.parent().unwrap_or(&self.root).to_path_buf();
        let mut temp = temp;
        for attempt in 0.. {
            tokio::fs::create_dir_all(&parent).await?;
            match temp.persist(path).await {
                Ok(()) => break,
                Err(e) if blob::is_absent(&e) && attempt < 8 => {}
                Err(e) => return Err(e),
            }
        }
        sync_dir(&parent).await
    }

    /// Removes the empty directories a deleted long key leaves (never the root).
    async fn prune(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root
                || !d.starts_with(&self.root)
                || tokio::fs::remove_dir(d).await.is_err()
            {
                break;
            }
            dir = d.parent();
        }
    }
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

/// Loads every object record under `dir` (relative path `rel`) into the index.
fn scan_objects(dir: &Path, rel: &Path, index: &mut BTreeMap<String, ListEntry>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if rel.as_os_str().is_empty() && name == SYSTEM_DIR {
            continue;
        }
        let rel_path = rel.join(&name);
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            scan_objects(&entry.path(), &rel_path, index)?;
        } else if file_type.is_file()
            && let Some(key) = path_to_key(&rel_path)
        {
            // A file that is not a record of ours (or is damaged) is not an object.
            let read = std::fs::File::open(entry.path())
                .and_then(|mut f| blob::read_record_meta::<ObjectMeta>(&mut f));
            if let Ok((meta, len)) = read
                && meta.size == len
            {
                index.insert(key, ListEntry::from(&meta));
            }
        }
    }
    Ok(())
}

/// Loads the uploads in progress and their parts.
fn scan_uploads(dir: &Path) -> io::Result<HashMap<String, Upload>> {
    let mut uploads = HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(json) = std::fs::read(entry.path().join(UPLOAD_FILE)) else {
            continue;
        };
        let Ok(meta) = serde_json::from_slice::<UploadMeta>(&json) else {
            continue;
        };
        let mut parts = BTreeMap::new();
        for part in std::fs::read_dir(entry.path())? {
            let part = part?;
            if part
                .file_name()
                .to_str()
                .is_some_and(|n| n.parse::<i32>().is_ok())
            {
                let read = std::fs::File::open(part.path())
                    .and_then(|mut f| blob::read_record_meta::<PartMeta>(&mut f));
                if let Ok((p, len)) = read
                    && p.size == len
                {
                    parts.insert(p.part_number, p);
                }
            }
        }
        uploads.insert(meta.upload_id.clone(), Upload { meta, parts });
    }
    Ok(uploads)
}

impl Backend for DirBackend {
    async fn writer(&self) -> io::Result<Writer> {
        Writer::file(self.temp_path()).await
    }

    async fn open_object(&self, key: &str) -> io::Result<Option<(ObjectMeta, Blob)>> {
        blob::open_record(self.object_path(key)?).await
    }

    async fn object_meta(&self, key: &str) -> io::Result<Option<ObjectMeta>> {
        Ok(self.open_object(key).await?.map(|(meta, _)| meta))
    }

    async fn commit_object(&self, key: &str, staged: Staged, meta: ObjectMeta) -> io::Result<()> {
        let path = self.object_path(key)?;
        let temp = blob::seal(staged, &meta).await?;
        self.publish(temp, &path).await?;
        self.index_mut()
            .insert(key.to_owned(), ListEntry::from(&meta));
        Ok(())
    }

    async fn replace_meta(&self, key: &str, meta: ObjectMeta) -> io::Result<bool> {
        let Some((_, data)) = self.open_object(key).await? else {
            return Ok(false);
        };
        let len = data.len();
        let mut body = data.stream(0, len).await?;
        let mut writer = self.writer().await?;
        while let Some(chunk) = body.next().await {
            writer.write(&chunk?).await?;
        }
        let staged = writer.finish().await?;
        if staged.len() != len {
            return Err(io::Error::other(
                "the object changed while its metadata was replaced",
            ));
        }
        self.commit_object(key, staged, meta).await?;
        Ok(true)
    }

    async fn delete_object(&self, key: &str) -> io::Result<bool> {
        let path = self.object_path(key)?;
        let existed = match tokio::fs::remove_file(&path).await {
            Ok(()) => true,
            Err(e) if blob::is_absent(&e) => false,
            Err(e) => return Err(e),
        };
        self.index_mut().remove(key);
        if existed {
            if let Some(parent) = path.parent() {
                sync_dir(parent).await?;
            }
            self.prune(&path).await;
        }
        Ok(existed)
    }

    fn list(&self, from: Bound<&str>, visit: &mut Visit<'_>) {
        let index = self.index();
        for (key, entry) in index.range::<str, _>((from, Bound::Unbounded)) {
            if visit(key, entry) == ControlFlow::Break(()) {
                break;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.index().is_empty()
    }

    async fn create_upload(&self, meta: UploadMeta) -> io::Result<()> {
        let dir = self
            .upload_dir(&meta.upload_id)
            .ok_or_else(|| io::Error::other("bad upload id"))?;
        tokio::fs::create_dir_all(&dir).await?;
        let mut temp = TempFile::new(self.temp_path());
        let json = serde_json::to_vec(&meta).map_err(io::Error::other)?;
        let mut file = tokio::fs::File::create(temp.path()).await?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &json).await?;
        file.sync_all().await?;
        temp.persist(&dir.join(UPLOAD_FILE)).await?;
        sync_dir(&dir).await?;
        self.uploads_mut().insert(
            meta.upload_id.clone(),
            Upload {
                meta,
                parts: BTreeMap::new(),
            },
        );
        Ok(())
    }

    fn upload(&self, upload_id: &str) -> Option<UploadMeta> {
        self.uploads_mut().get(upload_id).map(|u| u.meta.clone())
    }

    fn uploads(&self) -> Vec<UploadMeta> {
        self.uploads_mut()
            .values()
            .map(|u| u.meta.clone())
            .collect()
    }

    async fn commit_part(
        &self,
        upload_id: &str,
        part: PartMeta,
        staged: Staged,
    ) -> io::Result<bool> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(false);
        };
        if self.upload(upload_id).is_none() {
            return Ok(false);
        }
        let mut temp = blob::seal(staged, &part).await?;
        match temp.persist(&dir.join(part.part_number.to_string())).await {
            Ok(()) => {}
            Err(e) if blob::is_absent(&e) => return Ok(false),
            Err(e) => return Err(e),
        }
        sync_dir(&dir).await?;
        let mut uploads = self.uploads_mut();
        let Some(upload) = uploads.get_mut(upload_id) else {
            return Ok(false);
        };
        upload.parts.insert(part.part_number, part);
        Ok(true)
    }

    fn parts(&self, upload_id: &str) -> Option<Vec<PartMeta>> {
        self.uploads_mut()
            .get(upload_id)
            .map(|u| u.parts.values().cloned().collect())
    }

    async fn open_part(&self, upload_id: &str, part_number: i32) -> io::Result<Option<Blob>> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(None);
        };
        Ok(
            blob::open_record::<PartMeta>(dir.join(part_number.to_string()))
                .await?
                .map(|(_, b)| b),
        )
    }

    async fn remove_upload(&self, upload_id: &str) -> io::Result<bool> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(false);
        };
        if self.uploads_mut().remove(upload_id).is_none() {
            return Ok(false);
        }
        match tokio::fs::remove_dir_all(&dir).await {
            Err(e) if !blob::is_absent(&e) => Err(e),
            _ => Ok(true),
        }
    }

    async fn cors(&self) -> io::Result<Option<Bytes>> {
        match tokio::fs::read(self.root.join(SYSTEM_DIR).join("cors.xml")).await {
            Ok(xml) => Ok(Some(Bytes::from(xml))),
            Err(e) if blob::is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn set_cors(&self, xml: Option<Bytes>) -> io::Result<()> {
        let path = self.root.join(SYSTEM_DIR).join("cors.xml");
        match xml {
            Some(xml) => {
                let mut temp = TempFile::new(self.temp_path());
                let mut file = tokio::fs::File::create(temp.path()).await?;
                tokio::io::AsyncWriteExt::write_all(&mut file, &xml).await?;
                file.sync_all().await?;
                temp.persist(&path).await?;
            }
            None => match tokio::fs::remove_file(&path).await {
                Err(e) if !blob::is_absent(&e) => return Err(e),
                _ => {}
            },
        }
        sync_dir(&self.root.join(SYSTEM_DIR)).await
    }
}
