//! The `multistore` binary as a user runs it: exit statuses and messages.

use std::process::{Command, Output};

fn multistore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_multistore"))
        .args(args)
        .output()
        .expect("the multistore binary runs")
}

#[test]
fn version_prints_the_package_version() {
    let output = multistore(&["--version"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        format!("multistore {}", env!("CARGO_PKG_VERSION"))
    );
}

fn write_config(text: &str) -> tempfile::NamedTempFile {
    use std::io::Write as _;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(text.as_bytes()).expect("write config");
    file
}

const VALID: &str = r#"
[[buckets]]
name = "data"
[buckets.backend]
type = "memory"
"#;

#[test]
fn config_check_accepts_a_valid_file() {
    let file = write_config(VALID);
    let output = multistore(&["config", "check", file.path().to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8(output.stdout).unwrap().contains(": ok"));
}

#[test]
fn config_check_names_the_bad_key_and_its_line() {
    let file = write_config(
        "[[buckets]]\nname = \"data\"\nbogus = 1\n[buckets.backend]\ntype = \"memory\"\n",
    );
    let output = multistore(&["config", "check", file.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("buckets[0].bogus") && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_a_public_address_without_credentials() {
    let file = write_config(VALID);
    let output = multistore(&[
        "serve",
        "--config",
        file.path().to_str().unwrap(),
        "--listen",
        "0.0.0.0:0",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--allow-anonymous"), "{stderr}");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let output = multistore(&["serve", "--bogus"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--bogus"), "{stderr}");
}
