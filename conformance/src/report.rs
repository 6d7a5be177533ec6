//! The matrix of scenario × client × runtime × backend, written to `conformance/REPORT.md`
//! (with a diff for every failure and every exception listed) and summarized on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::env::BackendKind;
use crate::exceptions::{self, Kind};
use crate::replay::{ExchangeFailure, FileResult};

/// What one entry of the matrix is.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every exchange conformed.
    Pass,
    /// An exchange did not conform, and no exception explains it.
    Fail,
    /// The backend lacks a capability the scenario needs (the reasons).
    BackendLacks(Vec<&'static str>),
    /// A tracked difference (the issue, the reasons).
    Known(String, Vec<&'static str>),
}

/// One entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The scenario.
    pub scenario: String,
    /// The client.
    pub client: String,
    /// `native` or `worker`.
    pub runtime: String,
    /// The backend.
    pub backend: BackendKind,
    /// The replay's result.
    pub result: FileResult,
    /// The verdict.
    pub outcome: Outcome,
}

impl Entry {
    /// Judges a replay result, applying the exceptions table.
    pub fn judge(
        scenario: &str,
        client: &str,
        runtime: &str,
        backend: BackendKind,
        result: FileResult,
    ) -> Self {
        let covering: Vec<Option<&'static exceptions::Exception>> = result
            .failures
            .iter()
            .map(|f| exceptions::covering(scenario, client, backend, runtime, &f.label, &f.detail))
            .collect();
        let mut reasons: Vec<&'static str> = covering.iter().flatten().map(|e| e.reason).collect();
        reasons.dedup();
        let mut issues: Vec<&'static str> = covering
            .iter()
            .flatten()
            .filter_map(|e| match e.kind {
                Kind::Tracked(issue) => Some(issue),
                Kind::BackendLacks => None,
            })
            .collect();
        issues.sort_unstable();
        issues.dedup();
        let outcome = if result.failures.is_empty() {
            Outcome::Pass
        } else if covering.iter().any(Option::is_none) {
            Outcome::Fail
        } else if !issues.is_empty() {
            Outcome::Known(issues.join(", "), reasons)
        } else {
            Outcome::BackendLacks(reasons)
        };
        Self {
            scenario: scenario.to_owned(),
            client: client.to_owned(),
            runtime: runtime.to_owned(),
            backend,
            result,
            outcome,
        }
    }

    /// The exception that explains one of this entry's failures, if any.
    fn covering(&self, failure: &ExchangeFailure) -> Option<&'static exceptions::Exception> {
        exceptions::covering(
            &self.scenario,
            &self.client,
            self.backend,
            &self.runtime,
            &failure.label,
            &failure.detail,
        )
    }

    fn column(&self) -> String {
        format!("{}/{}", self.runtime, self.backend.name())
    }

    fn cell(&self) -> String {
        match &self.outcome {
            Outcome::Pass => format!("pass ({})", self.result.exchanges),
            Outcome::Fail => format!(
                "**FAIL** ({}/{})",
                self.result.failures.len(),
                self.result.exchanges
            ),
            Outcome::BackendLacks(_) => format!(
                "backend lacks ({}/{})",
                self.result.failures.len(),
                self.result.exchanges
            ),
            Outcome::Known(issue, _) => format!(
                "known ({issue}, {}/{})",
                self.result.failures.len(),
                self.result.exchanges
            ),
        }
    }
}

/// A column that did not run, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// `runtime/backend`.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// Counts per outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Passes.
    pub pass: usize,
    /// Unexplained failures.
    pub fail: usize,
    /// Backend lacks.
    pub lacks: usize,
    /// Known, tracked.
    pub known: usize,
}

/// Counts the outcomes.
pub fn totals(entries: &[Entry]) -> Totals {
    let mut t = Totals::default();
    for e in entries {
        match e.outcome {
            Outcome::Pass => t.pass += 1,
            Outcome::Fail => t.fail += 1,
            Outcome::BackendLacks(_) => t.lacks += 1,
            Outcome::Known(..) => t.known += 1,
        }
    }
    t
}

/// The Markdown report.
pub fn markdown(entries: &[Entry], skipped: &[Skipped]) -> String {
    let mut columns: Vec<String> = entries.iter().map(Entry::column).collect();
    columns.sort();
    columns.dedup();
    let mut rows: BTreeMap<(String, String), BTreeMap<String, &Entry>> = BTreeMap::new();
    for e in entries {
        rows.entry((e.scenario.clone(), e.client.clone()))
            .or_default()
            .insert(e.column(), e);
    }
    let t = totals(entries);
    let mut out = String::from("# Conformance report\n\n");
    out.push_str("Written by `cargo xtask conformance` (see [docs/conformance.md](../docs/conformance.md)): every\n");
    out.push_str("recorded exchange under `conformance/traffic/` replayed against each runtime in front of each\n");
    out.push_str(
        "backend and compared with the reference response after normalization. An entry is\n",
    );
    out.push_str(
        "`pass (exchanges)`, `FAIL (failed/exchanges)`, `backend lacks (excepted/exchanges)`\n",
    );
    out.push_str("or `known (issue, excepted/exchanges)`; the last two are explained below.\n\n");
    let _ = writeln!(
        out,
        "Totals: {} pass, {} fail, {} backend lacks, {} known.\n",
        t.pass, t.fail, t.lacks, t.known
    );
    let _ = writeln!(out, "| scenario | client | {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(columns.len()));
    for ((scenario, client), cells) in &rows {
        let shown: Vec<String> = columns
            .iter()
            .map(|c| cells.get(c).map_or_else(|| "—".to_owned(), |e| e.cell()))
            .collect();
        let _ = writeln!(out, "| {scenario} | {client} | {} |", shown.join(" | "));
    }
    if !skipped.is_empty() {
        out.push_str("\n## Columns not run\n\n");
        for s in skipped {
            let _ = writeln!(out, "- `{}`: {}", s.column, s.reason);
        }
    }
    out.push_str("\n## Exceptions\n\n");
    let mut explained: Vec<String> = entries
        .iter()
        .flat_map(|e| {
            e.result.failures.iter().filter_map(|f| {
                let c = e.covering(f)?;
                Some(match c.kind {
                    Kind::BackendLacks => {
                        format!("- backend lacks ({}): {}", e.backend.name(), c.reason)
                    }
                    Kind::Tracked(issue) => {
                        format!("- known ({issue}, {}): {}", e.column(), c.reason)
                    }
                })
            })
        })
        .collect();
    explained.sort();
    explained.dedup();
    if explained.is_empty() {
        out.push_str("None.\n");
    }
    for line in explained {
        let _ = writeln!(out, "{line}");
    }
    out.push_str("\n## Failures and differences\n\n");
    let mut any = false;
    for e in entries.iter().filter(|e| !e.result.failures.is_empty()) {
        any = true;
        let verdict = match &e.outcome {
            Outcome::Fail => "FAIL",
            Outcome::BackendLacks(_) => "backend lacks",
            Outcome::Known(..) => "known",
            Outcome::Pass => "pass",
        };
        let _ = writeln!(
            out,
            "### {} / {} on {} ({verdict})\n",
            e.scenario,
            e.client,
            e.column()
        );
        // Unexplained failures first, then those an exception covers.
        let mut failures: Vec<_> = e
            .result
            .failures
            .iter()
            .map(|f| (e.covering(f), f))
            .collect();
        failures.sort_by_key(|(covered, f)| (covered.is_some(), f.number));
        // Unexplained failures with their diff (at most four); explained ones with their
        // changes only (see `changes`), which stay the same from run to run.
        let mut shown = 0;
        for (covered, f) in &failures {
            match covered {
                None if shown < 4 => {
                    shown += 1;
                    let _ = writeln!(
                        out,
                        "Exchange {} `{}` (not explained):\n\n```diff\n{}```\n",
                        f.number,
                        f.label,
                        ensure_newline(&f.detail)
                    );
                }
                None => {}
                Some(c) => {
                    let _ = writeln!(out, "- exchange {} `{}`: {}", f.number, f.label, c.reason);
                    let _ = writeln!(out, "\n  ```diff\n{}  ```\n", changes(&f.detail));
                }
            }
        }
        let hidden = failures
            .iter()
            .filter(|(c, _)| c.is_none())
            .count()
            .saturating_sub(4);
        if hidden > 0 {
            let _ = writeln!(out, "\n… and {hidden} more not explained.");
        }
        out.push('\n');
    }
    if !any {
        out.push_str("None.\n");
    }
    out
}

/// The most changed lines shown under an explained exchange.
const CHANGES_SHOWN: usize = 8;

/// An explained diff, normalized so that the report does not churn: only the changed lines, in
/// diff order, less those both removed and added (counted as multisets: a line that only moved,
/// such as a part s3s-fs lists in another order, cancels out), at most [`CHANGES_SHOWN`] lines,
/// indented for a list item. A detail that is not a diff (a transport error) is kept as is.
fn changes(detail: &str) -> String {
    let changed: Vec<&str> = detail
        .lines()
        .filter(|l| l.starts_with("- ") || l.starts_with("+ "))
        .collect();
    let mut lines: Vec<String> = if changed.is_empty() {
        detail.lines().map(str::to_owned).collect()
    } else {
        // How many times each text is removed less how many times it is added.
        let mut balance: BTreeMap<&str, i64> = BTreeMap::new();
        for line in &changed {
            *balance.entry(&line[2..]).or_default() += if line.starts_with('-') { 1 } else { -1 };
        }
        changed
            .iter()
            .filter(|line| {
                let left = balance.get_mut(&line[2..]).expect("counted above");
                let keep = if line.starts_with('-') {
                    *left > 0
                } else {
                    *left < 0
                };
                if keep {
                    *left -= left.signum();
                }
                keep
            })
            .map(|l| (*l).to_owned())
            .collect()
    };
    if lines.is_empty() {
        lines.push("  (the same lines in another order)".into());
    }
    let more = lines.len().saturating_sub(CHANGES_SHOWN);
    lines.truncate(CHANGES_SHOWN);
    if more > 0 {
        lines.push(format!("  … {more} more changed lines"));
    }
    lines.iter().fold(String::new(), |mut out, l| {
        let _ = writeln!(out, "  {l}");
        out
    })
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// The stdout summary: one line per column and one per failure.
pub fn summary(entries: &[Entry], skipped: &[Skipped]) -> String {
    let mut by_column: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by_column.entry(e.column()).or_default().push(e);
    }
    let mut out = String::new();
    for (column, list) in &by_column {
        let owned: Vec<Entry> = list.iter().map(|e| (*e).clone()).collect();
        let t = totals(&owned);
        let _ = writeln!(
            out,
            "{column:<16} {:>3} pass {:>3} fail {:>3} backend lacks {:>3} known",
            t.pass, t.fail, t.lacks, t.known
        );
    }
    for s in skipped {
        let _ = writeln!(out, "{:<16} skipped: {}", s.column, s.reason);
    }
    for e in entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Fail))
    {
        let first = e.result.failures.first().map_or(String::new(), |f| {
            format!("exchange {} {}", f.number, f.label)
        });
        let _ = writeln!(
            out,
            "FAIL {}/{} on {}: {first}",
            e.scenario,
            e.client,
            e.column()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explained_diffs_keep_changed_lines_only() {
        let detail = "  status 200\n- <Part>\n- <PartNumber>1\n+ <PartNumber>1\n+ <Part>\n+ x-amz-checksum-crc32: AAAA\n- <ETag>\n";
        assert_eq!(
            changes(detail),
            "  + x-amz-checksum-crc32: AAAA\n  - <ETag>\n"
        );
    }

    #[test]
    fn a_reordering_alone_says_so() {
        assert_eq!(
            changes("- a\n- b\n+ b\n+ a\n"),
            "    (the same lines in another order)\n"
        );
    }

    #[test]
    fn long_changes_are_truncated_and_other_details_kept() {
        let long: String = (0..20).map(|i| format!("+ line {i:02}\n")).collect();
        let shown = changes(&long);
        assert_eq!(shown.lines().count(), CHANGES_SHOWN + 1);
        assert!(shown.ends_with("  … 12 more changed lines\n"), "{shown}");
        assert_eq!(changes("no response: reset"), "  no response: reset\n");
    }
}
