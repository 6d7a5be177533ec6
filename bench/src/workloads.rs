//! The benchmark's workloads, in one table: what each does, at which concurrency, how it is
//! paced, and whether `--quick` runs it. The report and the targets refer to the ids.

use crate::sdk::Presign;

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;

/// Which client drives a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// aws-sdk-s3: signing, checksums and retries off, as an application would run it.
    Sdk,
    /// A presigned request replayed over plain HTTP/1.1 (see `raw`).
    Presigned,
}

/// What a workload does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Head,
    Get,
    Put,
    /// A multipart upload of `size` bytes in 8 MiB parts, 4 parts in flight.
    Multipart,
    /// ListObjectsV2 through every page of [`LIST_KEYS`] keys.
    List,
}

impl Kind {
    pub fn presign(self) -> Option<Presign> {
        match self {
            Self::Head => Some(Presign::Head),
            Self::Get => Some(Presign::Get),
            Self::Put => Some(Presign::Put),
            Self::Multipart | Self::List => None,
        }
    }
}

/// How a workload is paced (durations come from the mode, see [`Mode`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Closed loop for the mode's run time.
    Timed,
    /// Closed loop for this many requests (full run, quick run).
    Count(u64, u64),
    /// Open loop at this many requests per second, for the mode's fixed-rate time.
    Rate(f64),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub id: &'static str,
    pub client: Client,
    pub kind: Kind,
    /// Object size in bytes (0 for List).
    pub size: u64,
    pub concurrency: usize,
    pub pacing: Pacing,
    /// Part of `--quick`.
    pub quick: bool,
}

/// The keys the List workload walks through.
pub const LIST_KEYS: u64 = 10_000;
/// Multipart part size.
pub const PART: u64 = 8 * MIB;

const fn w(
    id: &'static str,
    client: Client,
    kind: Kind,
    size: u64,
    concurrency: usize,
    pacing: Pacing,
    quick: bool,
) -> Workload {
    Workload {
        id,
        client,
        kind,
        size,
        concurrency,
        pacing,
        quick,
    }
}

use Client::{Presigned, Sdk};
use Kind::{Get, Head, List, Multipart, Put};
use Pacing::{Count, Rate, Timed};

/// Every workload, in the order a round runs them.
pub const WORKLOADS: &[Workload] = &[
    w("head-c1", Sdk, Head, 4 * KIB, 1, Timed, false),
    w("head-c16", Sdk, Head, 4 * KIB, 16, Timed, true),
    w("head-c64", Sdk, Head, 4 * KIB, 64, Timed, false),
    w("get-4k-c1", Sdk, Get, 4 * KIB, 1, Timed, true),
    w("get-4k-c16", Sdk, Get, 4 * KIB, 16, Timed, true),
    w("get-4k-c64", Sdk, Get, 4 * KIB, 64, Timed, false),
    w("put-4k-c1", Sdk, Put, 4 * KIB, 1, Timed, false),
    w("put-4k-c16", Sdk, Put, 4 * KIB, 16, Timed, true),
    w("put-4k-c64", Sdk, Put, 4 * KIB, 64, Timed, false),
    w("get-1m-c4", Sdk, Get, MIB, 4, Timed, true),
    w("put-1m-c4", Sdk, Put, MIB, 4, Timed, true),
    w("get-64m-c1", Sdk, Get, 64 * MIB, 1, Count(10, 2), true),
    w("put-64m-c1", Sdk, Put, 64 * MIB, 1, Count(10, 2), true),
    w("mpu-256m", Sdk, Multipart, 256 * MIB, 1, Count(2, 1), true),
    w("list-10k", Sdk, List, 0, 1, Count(3, 1), true),
    w("rate-get-4k", Sdk, Get, 4 * KIB, 16, Rate(300.0), true),
    w("psg-head-c16", Presigned, Head, 4 * KIB, 16, Timed, false),
    w("psg-get-4k-c16", Presigned, Get, 4 * KIB, 16, Timed, true),
    w(
        "psg-rate-get-4k",
        Presigned,
        Get,
        4 * KIB,
        16,
        Rate(500.0),
        true,
    ),
    w(
        "psg-get-64m-c1",
        Presigned,
        Get,
        64 * MIB,
        1,
        Count(10, 2),
        true,
    ),
    w(
        "psg-put-64m-c1",
        Presigned,
        Put,
        64 * MIB,
        1,
        Count(10, 2),
        true,
    ),
    w(
        "psg-get-64m-c64",
        Presigned,
        Get,
        64 * MIB,
        64,
        Count(64, 64),
        false,
    ),
];

/// Durations and rounds of a full or a quick run.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub quick: bool,
    pub rounds: u32,
    /// Closed-loop run time of a [`Pacing::Timed`] workload.
    pub run_secs: f64,
    /// Run time of a [`Pacing::Rate`] workload.
    pub rate_secs: f64,
    /// Unmeasured closed-loop warm-up before each timed or fixed-rate run.
    pub warmup_secs: f64,
}

impl Mode {
    pub const FULL: Mode = Mode {
        quick: false,
        rounds: 3,
        run_secs: 3.0,
        rate_secs: 6.0,
        warmup_secs: 0.5,
    };
    pub const QUICK: Mode = Mode {
        quick: true,
        rounds: 2,
        run_secs: 0.7,
        rate_secs: 1.5,
        warmup_secs: 0.2,
    };

    /// The workloads this mode runs, narrowed to `only` when given.
    pub fn workloads(&self, only: &[String]) -> Vec<&'static Workload> {
        WORKLOADS
            .iter()
            .filter(|w| {
                if only.is_empty() {
                    w.quick || !self.quick
                } else {
                    only.iter().any(|o| o == w.id)
                }
            })
            .collect()
    }
}

/// The key a workload reads, or the prefix it writes under.
pub fn key_for(workload: &Workload) -> String {
    match workload.kind {
        Head | Get => object_key(workload.size),
        Put => format!("put/{}/{}/", size_label(workload.size), workload.id),
        Multipart => format!("mpu/{}", workload.id),
        List => "list/".to_owned(),
    }
}

/// The seeded object of `size` bytes.
pub fn object_key(size: u64) -> String {
    format!("obj/{}", size_label(size))
}

/// `4k`, `1m`, `64m`, …
pub fn size_label(size: u64) -> String {
    if size >= MIB && size.is_multiple_of(MIB) {
        format!("{}m", size / MIB)
    } else if size >= KIB && size.is_multiple_of(KIB) {
        format!("{}k", size / KIB)
    } else {
        format!("{size}b")
    }
}

/// The object sizes the GET and HEAD workloads read (seeded once).
pub fn seeded_sizes(workloads: &[&Workload]) -> Vec<u64> {
    let mut sizes: Vec<u64> = workloads
        .iter()
        .filter(|w| matches!(w.kind, Head | Get))
        .map(|w| w.size)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<&str> = WORKLOADS.iter().map(|w| w.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }

    #[test]
    fn quick_is_a_subset_and_only_selects_by_id() {
        let quick = Mode::QUICK.workloads(&[]);
        let full = Mode::FULL.workloads(&[]);
        assert!(quick.len() < full.len());
        assert_eq!(full.len(), WORKLOADS.len());
        let only = Mode::FULL.workloads(&["get-4k-c16".to_owned(), "nope".to_owned()]);
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].id, "get-4k-c16");
    }

    #[test]
    fn the_issue_workloads_are_all_there() {
        let has = |kind: Kind, size: u64, c: usize| {
            WORKLOADS
                .iter()
                .any(|w| w.kind == kind && w.size == size && w.concurrency == c)
        };
        for c in [1, 16, 64] {
            assert!(has(Head, 4 * KIB, c) && has(Get, 4 * KIB, c) && has(Put, 4 * KIB, c));
        }
        for size in [MIB, 64 * MIB] {
            assert!(WORKLOADS.iter().any(|w| w.kind == Get && w.size == size));
            assert!(WORKLOADS.iter().any(|w| w.kind == Put && w.size == size));
        }
        assert!(has(Multipart, 256 * MIB, 1));
        assert!(WORKLOADS.iter().any(|w| w.kind == List));
    }

    #[test]
    fn keys_and_labels() {
        assert_eq!(size_label(4 * KIB), "4k");
        assert_eq!(size_label(64 * MIB), "64m");
        assert_eq!(size_label(10), "10b");
        assert_eq!(object_key(MIB), "obj/1m");
        let sizes = seeded_sizes(&Mode::FULL.workloads(&[]));
        assert_eq!(sizes, vec![4 * KIB, MIB, 64 * MIB]);
    }
}
