//! The memory store's storage: a `BTreeMap` of objects (metadata and data as one value, so
//! a reader sees one or the other version whole), uploads with their parts, and the CORS
//! document. Lost when the process ends.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::{Bound, ControlFlow};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use bytes::Bytes;

use super::backend::{Backend, Visit};
use super::blob::{Blob, Staged, Writer};
use super::meta::{ListEntry, ObjectMeta, PartMeta, UploadMeta};

struct Object {
    meta: Arc<ObjectMeta>,
    entry: ListEntry,
    data: Bytes,
}

struct Upload {
    meta: UploadMeta,
    parts: BTreeMap<i32, (PartMeta, Bytes)>,
}

/// Storage in memory.
#[derive(Default)]
pub struct MemoryBackend {
    objects: RwLock<BTreeMap<String, Object>>,
    uploads: Mutex<HashMap<String, Upload>>,
    cors: Mutex<Option<Bytes>>,
}

fn data(staged: Staged) -> io::Result<Bytes> {
    match staged {
        Staged::Memory(b) => Ok(b),
        Staged::File { .. } => Err(io::Error::other("a file body reached the memory store")),
    }
}

impl MemoryBackend {
    fn objects(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Object>> {
        self.objects.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn objects_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Object>> {
        self.objects.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn uploads_mut(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        self.uploads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Backend for MemoryBackend {
    async fn writer(&self) -> io::Result<Writer> {
        Ok(Writer::memory())
    }

    async fn open_object(&self, key: &str) -> io::Result<Option<(ObjectMeta, Blob)>> {
        Ok(self
            .objects()
            .get(key)
            .map(|o| ((*o.meta).clone(), Blob::Memory(o.data.clone()))))
    }

    async fn object_meta(&self, key: &str) -> io::Result<Option<ObjectMeta>> {
        Ok(self.objects().get(key).map(|o| (*o.meta).clone()))
    }

    async fn commit_object(&self, key: &str, staged: Staged, meta: ObjectMeta) -> io::Result<()> {
        let data = data(staged)?;
        let entry = ListEntry::from(&meta);
        self.objects_mut().insert(
            key.to_owned(),
            Object {
                meta: Arc::new(meta),
                entry,
                data,
            },
        );
        Ok(())
    }

    async fn replace_meta(&self, key: &str, meta: ObjectMeta) -> io::Result<bool> {
        let mut objects = self.objects_mut();
        let Some(object) = objects.get_mut(key) else {
            return Ok(false);
        };
        object.entry = ListEntry::from(&meta);
        object.meta = Arc::new(meta);
        Ok(true)
    }

    async fn delete_object(&self, key: &str) -> io::Result<bool> {
        Ok(self.objects_mut().remove(key).is_some())
    }

    fn list(&self, from: Bound<&str>, visit: &mut Visit<'_>) {
        let objects = self.objects();
        for (key, object) in objects.range::<str, _>((from, Bound::Unbounded)) {
            if visit(key, &object.entry) == ControlFlow::Break(()) {
                break;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.objects().is_empty()
    }

    async fn create_upload(&self, meta: UploadMeta) -> io::Result<()> {
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
        let data = data(staged)?;
        let mut uploads = self.uploads_mut();
        let Some(upload) = uploads.get_mut(upload_id) else {
            return Ok(false);
        };
        upload.parts.insert(part.part_number, (part, data));
        Ok(true)
    }

    fn parts(&self, upload_id: &str) -> Option<Vec<PartMeta>> {
        self.uploads_mut()
            .get(upload_id)
            .map(|u| u.parts.values().map(|(p, _)| p.clone()).collect())
    }

    async fn open_part(&self, upload_id: &str, part_number: i32) -> io::Result<Option<Blob>> {
        let uploads = self.uploads_mut();
        Ok(uploads
            .get(upload_id)
            .and_then(|u| u.parts.get(&part_number))
            .map(|(_, d)| Blob::Memory(d.clone())))
    }

    async fn remove_upload(&self, upload_id: &str) -> io::Result<bool> {
        Ok(self.uploads_mut().remove(upload_id).is_some())
    }

    async fn cors(&self) -> io::Result<Option<Bytes>> {
        Ok(self
            .cors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    async fn set_cors(&self, xml: Option<Bytes>) -> io::Result<()> {
        *self.cors.lock().unwrap_or_else(PoisonError::into_inner) = xml;
        Ok(())
    }
}
