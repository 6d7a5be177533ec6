//! Child processes of the Worker tasks: free local ports, readiness probes, JSON string
//! literals for generated settings, and [`Processes`], which runs each child in its own
//! process group and stops the group when dropped.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// `value` as a JSON string literal.
pub(crate) fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A port that was free a moment ago.
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free local port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until `127.0.0.1:port` answers an HTTP request (any status), failing as soon as one
/// of `processes` has exited.
pub(crate) fn wait_ready(
    port: u16,
    timeout: Duration,
    processes: &mut Processes,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let request =
                format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/1.")
            {
                return Ok(());
            }
        }
        processes.check_running()?;
        if Instant::now() > deadline {
            bail!("nothing answered on 127.0.0.1:{port} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The processes a smoke run started, each in its own process group, stopped (group and all:
/// wrangler runs workerd as a child) when done or dropped.
#[derive(Default)]
pub(crate) struct Processes {
    running: Vec<(&'static str, Child, PathBuf)>,
}

impl Processes {
    pub(crate) fn spawn(
        &mut self,
        name: &'static str,
        mut command: Command,
        log: &Path,
    ) -> anyhow::Result<()> {
        let out = fs::File::create(log)?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        self.running.push((name, child, log.to_path_buf()));
        Ok(())
    }

    /// Fails when a process has exited.
    pub(crate) fn check_running(&mut self) -> anyhow::Result<()> {
        for (name, child, log) in &mut self.running {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("{name} exited ({status}); see {}", log.display());
            }
        }
        Ok(())
    }

    /// Prints the end of each log (after a failure).
    pub(crate) fn report(&self) {
        for (name, _, log) in &self.running {
            let text = fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("---- {name}: last lines of {} ----", log.display());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }

    pub(crate) fn stop_all(&mut self) {
        for (_, child, _) in &mut self.running {
            signal_group(child.id(), "TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for (_, child, _) in &mut self.running {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(child.try_wait(), Ok(None)) {
                signal_group(child.id(), "KILL");
                let _ = child.wait();
            }
        }
        self.running.clear();
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Sends `signal` to the process group led by `pid` (one this task created).
fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pid}"))
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\u0001""#);
        assert_eq!(json_string("ü/x"), "\"ü/x\"");
    }

    #[test]
    fn free_ports_are_nonzero() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
