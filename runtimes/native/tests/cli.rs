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

#[test]
fn serve_says_it_is_not_implemented_and_exits_2() {
    for args in [&["serve"][..], &["config", "check", "gw.toml"]] {
        let output = multistore(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("not implemented yet: the native runtime is issue #4"),
            "{stderr}"
        );
    }
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let output = multistore(&["serve", "--bogus"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--bogus"), "{stderr}");
}
