//! Object data in transit: a [`Writer`] takes a body chunk by chunk, [`Staged`] is a finished
//! body not yet visible, and a [`Blob`] is committed data opened for reading (one consistent
//! snapshot: a directory store's blob is an open file handle, which a later rename of the
//! path does not change).
//!
//! The directory store's record format lives here too: `data ‖ JSON metadata ‖ footer`, the
//! footer being the JSON's length (u64, little-endian) and the magic `MSTORE01`. Data and its
//! metadata sit in one file, so one rename publishes both at once.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures_util::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

use super::BodyStream;

const MAGIC: &[u8; 8] = b"MSTORE01";
const FOOTER_LEN: u64 = 16;
/// The largest metadata record we accept when reading (user metadata is capped at 2 KiB by
/// S3; tags, parts and headers add to it: 10,000 parts stay well below this).
const MAX_META: u64 = 16 * 1024 * 1024;
/// Read-ahead for streamed file bodies.
const READ_CHUNK: usize = 64 * 1024;
/// Write buffer for file bodies.
const WRITE_BUFFER: usize = 256 * 1024;

/// A file that is deleted when dropped, unless [`TempFile::persist`] moved it into place.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `to` (atomic on one file system) and disarms the cleanup. On
    /// failure the temp file is still there (and still removed on drop).
    pub async fn persist(&mut self, to: &Path) -> io::Result<()> {
        tokio::fs::rename(&self.path, to).await?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Receives a body.
pub enum Writer {
    File {
        file: BufWriter<tokio::fs::File>,
        temp: TempFile,
        len: u64,
    },
    Memory(BytesMut),
}

/// A finished body, not yet visible to readers.
pub enum Staged {
    /// The data is written and flushed; the record's metadata and footer come at commit.
    File {
        file: tokio::fs::File,
        temp: TempFile,
        len: u64,
    },
    Memory(Bytes),
}

impl Staged {
    pub fn len(&self) -> u64 {
        match self {
            Self::File { len, .. } => *len,
            Self::Memory(b) => b.len() as u64,
        }
    }
}

impl Writer {
    /// A writer into a new temporary file at `path`.
    pub async fn file(path: PathBuf) -> io::Result<Self> {
        let temp = TempFile::new(path);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp.path())
            .await?;
        Ok(Self::File {
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            temp,
            len: 0,
        })
    }

    pub fn memory() -> Self {
        Self::Memory(BytesMut::new())
    }

    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self {
            Self::File { file, len, .. } => {
                file.write_all(chunk).await?;
                *len += chunk.len() as u64;
            }
            Self::Memory(buf) => buf.extend_from_slice(chunk),
        }
        Ok(())
    }

    pub async fn finish(self) -> io::Result<Staged> {
        match self {
            Self::File {
                mut file,
                temp,
                len,
            } => {
                file.flush().await?;
                Ok(Staged::File {
                    file: file.into_inner(),
                    temp,
                    len,
                })
            }
            Self::Memory(buf) => Ok(Staged::Memory(buf.freeze())),
        }
    }
}

/// Appends `meta` and the footer to a staged file and makes it durable. Returns the temp file,
/// ready to be renamed into place.
pub async fn seal<T: Serialize>(staged: Staged, meta: &T) -> io::Result<TempFile> {
    let Staged::File {
        mut file,
        temp,
        len,
    } = staged
    else {
        return Err(io::Error::other(
            "a memory body cannot be sealed into a file",
        ));
    };
    let json = serde_json::to_vec(meta).map_err(io::Error::other)?;
    file.seek(SeekFrom::Start(len)).await?;
    let mut tail = json;
    let json_len = tail.len() as u64;
    tail.extend_from_slice(&json_len.to_le_bytes());
    tail.extend_from_slice(MAGIC);
    file.write_all(&tail).await?;
    file.set_len(len + json_len + FOOTER_LEN).await?;
    file.sync_all().await?;
    Ok(temp)
}

/// Reads the metadata of a record file; returns it with the data length.
pub fn read_record_meta<T: DeserializeOwned>(file: &mut std::fs::File) -> io::Result<(T, u64)> {
    use std::io::{Read, Seek};
    let total = file.metadata()?.len();
    let bad = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a store record: {what}"),
        )
    };
    if total < FOOTER_LEN {
        return Err(bad("too short"));
    }
    let mut footer = [0u8; FOOTER_LEN as usize];
    file.seek(SeekFrom::Start(total - FOOTER_LEN))?;
    file.read_exact(&mut footer)?;
    if &footer[8..] != MAGIC {
        return Err(bad("no footer"));
    }
    let json_len = u64::from_le_bytes(footer[..8].try_into().map_err(|_| bad("footer"))?);
    if json_len > MAX_META || json_len > total - FOOTER_LEN {
        return Err(bad("metadata length"));
    }
    let data_len = total - FOOTER_LEN - json_len;
    let mut json = vec![0u8; usize::try_from(json_len).map_err(|_| bad("metadata length"))?];
    file.seek(SeekFrom::Start(data_len))?;
    file.read_exact(&mut json)?;
    let meta = serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))?;
    Ok((meta, data_len))
}

/// Opens a record file: its metadata, and its data as a blob. `None` when there is no file.
pub async fn open_record<T: DeserializeOwned + Send + 'static>(
    path: PathBuf,
) -> io::Result<Option<(T, Blob)>> {
    let opened = tokio::task::spawn_blocking(move || {
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if is_absent(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        // A file that is not one of our records (or a damaged one) is no object.
        match read_record_meta(&mut file) {
            Ok((meta, len)) => Ok(Some((meta, file, len))),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
    .map_err(io::Error::other)??;
    Ok(opened.map(|(meta, file, len)| {
        (
            meta,
            Blob::File {
                file: tokio::fs::File::from_std(file),
                len,
            },
        )
    }))
}

/// Whether an open failed because nothing is there.
pub fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Committed data, open for reading.
pub enum Blob {
    File { file: tokio::fs::File, len: u64 },
    Memory(Bytes),
}

impl Blob {
    pub fn len(&self) -> u64 {
        match self {
            Self::File { len, .. } => *len,
            Self::Memory(b) => b.len() as u64,
        }
    }

    /// Streams `len` bytes from `start` (the caller keeps the range inside the blob).
    pub async fn stream(self, start: u64, len: u64) -> io::Result<BodyStream> {
        match self {
            Self::File { mut file, .. } => {
                file.seek(SeekFrom::Start(start)).await?;
                Ok(Box::pin(ReaderStream::with_capacity(
                    file.take(len),
                    READ_CHUNK,
                )))
            }
            Self::Memory(bytes) => {
                let (start, end) = (
                    clamp(start, &bytes),
                    clamp(start.saturating_add(len), &bytes),
                );
                let part = bytes.slice(start..end);
                let chunks: Vec<io::Result<Bytes>> = if part.is_empty() {
                    Vec::new()
                } else {
                    vec![Ok(part)]
                };
                Ok(Box::pin(stream::iter(chunks)))
            }
        }
    }
}

fn clamp(at: u64, bytes: &Bytes) -> usize {
    usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len())
}
