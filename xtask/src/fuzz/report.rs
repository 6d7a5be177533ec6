//! Reading what cargo-fuzz and libFuzzer write: the target names of `fuzz/Cargo.toml`, and
//! from a run's log the executions, coverage and the saved crashing input.

use std::fmt::Write as _;

use anyhow::Context;

/// What a run reached, from libFuzzer's status lines (`#N DONE cov: … ft: … corp: …`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) executions: Option<u64>,
    pub(crate) exec_per_sec: Option<u64>,
    /// Covered edges (`cov:`).
    pub(crate) coverage: Option<u64>,
    /// Features (`ft:`), libFuzzer's finer coverage measure.
    pub(crate) features: Option<u64>,
    /// Inputs in the corpus at the end (`corp: N/size`).
    pub(crate) corpus: Option<u64>,
}

impl Summary {
    /// One line for the log.
    pub(crate) fn line(&self, target: &str) -> String {
        format!(
            "{target}: {} executions ({} exec/s), coverage {} edges, {} features, corpus {}",
            show(self.executions),
            show(self.exec_per_sec),
            show(self.coverage),
            show(self.features),
            show(self.corpus),
        )
    }
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

/// Reads a libFuzzer log: the last status line, and the final stats when printed.
pub(crate) fn parse(log: &str) -> Summary {
    let mut summary = Summary::default();
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix('#')
            && rest.contains("cov: ")
        {
            let count = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            summary.executions = count.or(summary.executions);
            summary.coverage = field(rest, "cov:").or(summary.coverage);
            summary.features = field(rest, "ft:").or(summary.features);
            summary.corpus = field(rest, "corp:").or(summary.corpus);
            summary.exec_per_sec = field(rest, "exec/s:").or(summary.exec_per_sec);
        } else if let Some(value) = line.strip_prefix("stat::number_of_executed_units:") {
            summary.executions = value.trim().parse().ok().or(summary.executions);
        } else if let Some(value) = line.strip_prefix("stat::average_exec_per_sec:") {
            summary.exec_per_sec = value.trim().parse().ok().or(summary.exec_per_sec);
        }
    }
    summary
}

/// The number after `name` in a status line (`corp: 235/7018b` gives 235).
fn field(line: &str, name: &str) -> Option<u64> {
    let mut words = line.split_whitespace();
    words.find(|w| *w == name)?;
    let value = words.next()?;
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The input libFuzzer saved for a finding (`Test unit written to <path>`).
pub(crate) fn artifact(log: &str) -> Option<String> {
    log.lines()
        .filter_map(|l| l.split_once("Test unit written to ").map(|(_, p)| p.trim()))
        .next_back()
        .map(str::to_owned)
}

/// What to show of a failed run's log: the panic message (or sanitizer report) and its first
/// frames, then the end of the log (the saved input, its bytes).
pub(crate) fn excerpt(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("panicked at") || l.starts_with("==") && l.contains("ERROR"));
    let mut out: Vec<&str> = Vec::new();
    let mut tail = lines.len().saturating_sub(12);
    if let Some(start) = start {
        out.extend(lines[start..].iter().take(8));
        out.push("…");
        tail = tail.max(start + 8).min(lines.len());
    }
    out.extend(&lines[tail..]);
    out.join("\n")
}

/// The `[[bin]]` names of the fuzz manifest, in order.
pub(crate) fn bin_names(manifest: &str) -> anyhow::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(default)]
        bin: Vec<Bin>,
    }
    #[derive(serde::Deserialize)]
    struct Bin {
        name: String,
    }
    let manifest: Manifest = toml::from_str(manifest).context("not a Cargo manifest")?;
    Ok(manifest.bin.into_iter().map(|b| b.name).collect())
}

/// The per-target table printed at the end of a run.
pub(crate) fn table(rows: &[(String, Summary)]) -> String {
    let mut out = format!(
        "{:<18} {:>12} {:>9} {:>8} {:>9} {:>7}\n",
        "target", "executions", "exec/s", "cov", "features", "corpus"
    );
    for (target, s) in rows {
        let _ = writeln!(
            out,
            "{target:<18} {:>12} {:>9} {:>8} {:>9} {:>7}",
            show(s.executions),
            show(s.exec_per_sec),
            show(s.coverage),
            show(s.features),
            show(s.corpus),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
INFO: Seed: 42
#2\tINITED cov: 12 ft: 13 corp: 1/1b exec/s: 0 rss: 30Mb
#4096\tpulse  cov: 380 ft: 1200 corp: 200/6000b lim: 300 exec/s: 2048 rss: 600Mb
#86051\tDONE   cov: 387 ft: 1354 corp: 235/7018b lim: 333 exec/s: 4097 rss: 697Mb
Done 86051 runs in 21 second(s)
stat::number_of_executed_units: 86052
stat::average_exec_per_sec:     4097
";

    #[test]
    fn status_lines_and_final_stats_are_read() {
        assert_eq!(
            parse(LOG),
            Summary {
                executions: Some(86052),
                exec_per_sec: Some(4097),
                coverage: Some(387),
                features: Some(1354),
                corpus: Some(235),
            }
        );
        assert_eq!(parse("nothing here"), Summary::default());
    }

    #[test]
    fn the_saved_input_is_found() {
        let log = "==1== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='/c/a/'; Test unit written to /c/a/crash-da39a3ee\n\
                   Base64: AA==\n";
        assert_eq!(artifact(log).as_deref(), Some("/c/a/crash-da39a3ee"));
        assert_eq!(artifact(LOG), None);
    }

    #[test]
    fn the_excerpt_shows_the_panic_and_the_end() {
        let mut log = String::from("INFO: Seed: 1\n");
        log += "thread '<unnamed>' panicked at src/gateway.rs:9:5:\nbob reached \"x\"\n";
        for i in 0..40 {
            log += &format!("    #{i} frame\n");
        }
        log += "Test unit written to /a/crash-1\nBase64: AA==\n";
        let shown = excerpt(&log);
        assert!(
            shown.contains("panicked at") && shown.contains("bob reached"),
            "{shown}"
        );
        assert!(
            shown.contains("/a/crash-1") && shown.contains("Base64"),
            "{shown}"
        );
        assert!(!shown.contains("#20 frame"), "{shown}");
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn bins_are_listed_in_order() {
        let manifest = "[package]\nname = \"f\"\n[[bin]]\nname = \"b\"\npath = \"b.rs\"\n\
                        [[bin]]\nname = \"a\"\npath = \"a.rs\"\n";
        assert_eq!(bin_names(manifest).unwrap(), ["b", "a"]);
    }

    #[test]
    fn the_table_has_a_row_per_target() {
        let table = table(&[("key_paths".into(), parse(LOG))]);
        assert!(table.lines().count() == 2, "{table}");
        assert!(
            table.contains("key_paths") && table.contains("86052"),
            "{table}"
        );
    }
}
