//! The records of one scenario run (what `smoke/smoke.py --results` and `smoke/identity.py
//! --results` write: a line per check and per operation) and the comparison of two runs,
//! check by check, against the table of expected differences.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, bail};

use super::compare::Difference;
use super::config::Backend;

/// One check's outcome (`ok` or `FAILED: …`) and its operations (`PutObject 200`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Check {
    pub(crate) outcome: String,
    pub(crate) ops: Vec<String>,
}

/// The checks of one run, in the order they ran.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub(crate) checks: Vec<(String, Check)>,
}

impl Run {
    /// Reads the S3 and identity records of one runtime's run.
    pub(crate) fn load(s3: &Path, identity: &Path, identity_ok: bool) -> anyhow::Result<Self> {
        let mut run = Self::default();
        for path in [s3, identity] {
            let text = fs::read_to_string(path)
                .with_context(|| format!("the suite wrote no {}", path.display()))?;
            run.parse(&text)
                .with_context(|| format!("{} does not parse", path.display()))?;
        }
        if !identity_ok && !run.checks.iter().any(|(n, _)| n.starts_with("identity")) {
            bail!("identity.py failed before it recorded anything");
        }
        Ok(run)
    }

    fn parse(&mut self, text: &str) -> anyhow::Result<()> {
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut fields = line.splitn(3, '\t');
            let (kind, name, value) = (fields.next(), fields.next(), fields.next());
            match (kind, name, value) {
                (Some("check"), Some(name), Some(outcome)) => self.checks.push((
                    name.to_owned(),
                    Check {
                        outcome: outcome.to_owned(),
                        ops: Vec::new(),
                    },
                )),
                (Some("op"), Some(name), Some(op)) => match self.checks.last_mut() {
                    Some((last, check)) if last == name => check.ops.push(op.to_owned()),
                    _ => bail!("an operation of {name:?} outside its check"),
                },
                _ => bail!("not a record: {line:?}"),
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

/// The comparison of one backend's two runs.
pub(crate) struct Verdict {
    /// A line per check, for people.
    pub(crate) table: String,
    /// What fails the run.
    pub(crate) failures: Vec<String>,
}

/// Compares the native and the Worker runs in front of `backend`.
pub(crate) fn compare(
    backend: Backend,
    native: &Run,
    worker: &Run,
    expected: &[Difference],
) -> Verdict {
    let mut names: Vec<&str> = native.checks.iter().map(|(n, _)| n.as_str()).collect();
    for (name, _) in &worker.checks {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let missing = Check {
        outcome: "not run".into(),
        ops: Vec::new(),
    };
    let mut table = format!(
        "\n{} — native {} vs Worker (operation by operation)\n",
        backend.name(),
        if backend == Backend::R2 {
            "(local store)"
        } else {
            "runtime"
        }
    );
    let mut failures = Vec::new();
    for name in names {
        let n = native.get(name).unwrap_or(&missing);
        let w = worker.get(name).unwrap_or(&missing);
        let why = expected
            .iter()
            .find(|d| d.backends.contains(&backend) && d.check == name)
            .map(|d| d.why);
        let line = match (n == w, why) {
            (true, None) if n.outcome == "ok" => format!("same, {} ops", n.ops.len()),
            (true, None) => format!("same on both (backend limitation): {}", n.outcome),
            (true, Some(_)) => {
                failures.push(format!(
                    "{}: {name}: the expected difference did not happen (remove it from EXPECTED)",
                    backend.name()
                ));
                "SAME, but a difference is expected".to_owned()
            }
            (false, Some(why)) => format!("differs as expected: {why}"),
            (false, None) => {
                let detail = first_difference(n, w);
                failures.push(format!("{}: {name}: {detail}", backend.name()));
                format!("DIFFERS: {detail}")
            }
        };
        let _ = writeln!(table, "  {name:<28} {line}");
    }
    Verdict { table, failures }
}

/// Where two checks part: the outcome, or the first operation that differs.
fn first_difference(native: &Check, worker: &Check) -> String {
    if native.outcome != worker.outcome {
        return format!("native {:?}, Worker {:?}", native.outcome, worker.outcome);
    }
    let at = native
        .ops
        .iter()
        .zip(&worker.ops)
        .position(|(a, b)| a != b)
        .unwrap_or(native.ops.len().min(worker.ops.len()));
    format!(
        "operation {}: native {:?}, Worker {:?}",
        at + 1,
        native.ops.get(at).map_or("(none)", String::as_str),
        worker.ops.get(at).map_or("(none)", String::as_str)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Run {
        let mut run = Run::default();
        run.parse(text).unwrap();
        run
    }

    const NATIVE: &str = "check\tput\tok\nop\tput\tPutObject 200\nop\tput\tGetObject 200\n\
                          check\tdots\tok\nop\tdots\tPutObject 200\n";

    #[test]
    fn the_same_records_are_the_same() {
        let verdict = compare(Backend::Moto, &run(NATIVE), &run(NATIVE), &[]);
        assert!(verdict.failures.is_empty(), "{:?}", verdict.failures);
        assert!(verdict.table.contains("same, 2 ops"), "{}", verdict.table);
    }

    #[test]
    fn an_unexpected_difference_names_the_operation() {
        let worker = NATIVE.replace("GetObject 200", "GetObject 404 NoSuchKey");
        let verdict = compare(Backend::Moto, &run(NATIVE), &run(&worker), &[]);
        assert_eq!(
            verdict.failures,
            [r#"moto: put: operation 2: native "GetObject 200", Worker "GetObject 404 NoSuchKey""#]
        );
    }

    #[test]
    fn expected_differences_must_happen() {
        let table = [Difference {
            backends: &[Backend::Moto],
            check: "dots",
            why: "fetch() normalizes dot segments",
        }];
        let worker = NATIVE.replace("check\tdots\tok", "check\tdots\tFAILED: x");
        let verdict = compare(Backend::Moto, &run(NATIVE), &run(&worker), &table);
        assert!(verdict.failures.is_empty(), "{:?}", verdict.failures);
        assert!(
            verdict.table.contains("differs as expected"),
            "{}",
            verdict.table
        );
        // The same entry on a backend where nothing differs is stale.
        let verdict = compare(Backend::Moto, &run(NATIVE), &run(NATIVE), &table);
        assert_eq!(verdict.failures.len(), 1, "{:?}", verdict.failures);
        // And it does not cover another backend.
        let verdict = compare(Backend::S3sFs, &run(NATIVE), &run(&worker), &table);
        assert_eq!(verdict.failures.len(), 1, "{:?}", verdict.failures);
    }

    #[test]
    fn records_out_of_place_are_refused() {
        assert!(Run::default().parse("op\tx\tPutObject 200\n").is_err());
        assert!(Run::default().parse("nonsense\n").is_err());
    }
}
