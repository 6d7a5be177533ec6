//! multistore's conformance suite: recorded traffic of real S3 clients, replayed against both
//! runtimes (native and Worker) to check that the gateway answers as S3 does.
//!
//! Issue #7 adds the recordings and the replayer. What exists now is the naming scheme every
//! case follows, `<client>/<op>/<scenario>` (for example `boto3/PutObject/user-metadata`), so
//! that a failure names the client, the operation and the situation at a glance.

use std::fmt;
use std::str::FromStr;

/// The name of one conformance case: `<client>/<op>/<scenario>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scenario {
    client: String,
    op: String,
    scenario: String,
}

impl Scenario {
    /// Builds a name from its three parts, checking each as [`FromStr`] does.
    ///
    /// # Errors
    /// When a part is empty or holds a character other than ASCII letters, digits, `-`, `_`
    /// and `.`.
    pub fn new(client: &str, op: &str, scenario: &str) -> Result<Self, ScenarioError> {
        for (part, value) in [
            (Part::Client, client),
            (Part::Op, op),
            (Part::Scenario, scenario),
        ] {
            check_part(part, value)?;
        }
        Ok(Self {
            client: client.to_owned(),
            op: op.to_owned(),
            scenario: scenario.to_owned(),
        })
    }

    /// The client that made the recording, e.g. `boto3` or `aws-cli`.
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The S3 operation, as the model names it, e.g. `PutObject`.
    pub fn op(&self) -> &str {
        &self.op
    }

    /// The situation exercised, e.g. `user-metadata`.
    pub fn scenario(&self) -> &str {
        &self.scenario
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.client, self.op, self.scenario)
    }
}

impl FromStr for Scenario {
    type Err = ScenarioError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = name.split('/').collect();
        match parts[..] {
            [client, op, scenario] => Self::new(client, op, scenario),
            _ => Err(ScenarioError::PartCount(parts.len())),
        }
    }
}

/// One of the three parts of a [`Scenario`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `<client>`.
    Client,
    /// `<op>`.
    Op,
    /// `<scenario>`.
    Scenario,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Client => "client",
            Self::Op => "op",
            Self::Scenario => "scenario",
        })
    }
}

/// Why a string is not a [`Scenario`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioError {
    /// The name has this many `/`-separated parts instead of three.
    PartCount(usize),
    /// A part is empty.
    Empty(Part),
    /// A part holds a character outside ASCII letters, digits, `-`, `_` and `.`.
    BadChar(Part, char),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PartCount(count) => write!(
                f,
                "a scenario name is <client>/<op>/<scenario>, not {count} parts"
            ),
            Self::Empty(part) => write!(f, "the {part} part of a scenario name is empty"),
            Self::BadChar(part, ch) => {
                write!(f, "the {part} part of a scenario name contains {ch:?}")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

fn check_part(part: Part, value: &str) -> Result<(), ScenarioError> {
    if value.is_empty() {
        return Err(ScenarioError::Empty(part));
    }
    match value
        .chars()
        .find(|ch| !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')))
    {
        Some(ch) => Err(ScenarioError::BadChar(part, ch)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_display_and_parse() {
        for name in [
            "boto3/PutObject/user-metadata",
            "aws-cli/ListObjectsV2/delimiter_and.prefix",
        ] {
            let scenario: Scenario = name.parse().unwrap();
            assert_eq!(scenario.to_string(), name);
            assert_eq!(scenario.to_string().parse::<Scenario>(), Ok(scenario));
        }
    }

    #[test]
    fn parts_are_exposed() {
        let scenario = Scenario::new("obstore", "GetObject", "range").unwrap();
        assert_eq!(
            (scenario.client(), scenario.op(), scenario.scenario()),
            ("obstore", "GetObject", "range")
        );
    }

    #[test]
    fn malformed_names_are_rejected_with_the_reason() {
        let cases = [
            ("boto3/PutObject", ScenarioError::PartCount(2)),
            ("a/b/c/d", ScenarioError::PartCount(4)),
            ("/PutObject/x", ScenarioError::Empty(Part::Client)),
            ("boto3//x", ScenarioError::Empty(Part::Op)),
            ("boto3/PutObject/", ScenarioError::Empty(Part::Scenario)),
            ("boto3/Put Object/x", ScenarioError::BadChar(Part::Op, ' ')),
            (
                "boto3/PutObject/ü",
                ScenarioError::BadChar(Part::Scenario, 'ü'),
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(name.parse::<Scenario>(), Err(expected), "{name}");
        }
        let message = ScenarioError::PartCount(2).to_string();
        assert!(message.contains("<client>/<op>/<scenario>"), "{message}");
    }
}
