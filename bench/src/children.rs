//! The processes a benchmark starts (the backend and the gateway): each logs to a file in the
//! run directory, is checked for an early exit, and is killed and reaped when dropped, however
//! the run ends.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Started processes, killed on drop.
#[derive(Default)]
pub struct Children {
    running: Vec<(String, Child, PathBuf)>,
}

impl Children {
    /// Starts `command` with stdout to `stdout` (a log file or /dev/null) and stderr to `log`;
    /// returns its pid.
    pub fn spawn(
        &mut self,
        name: &str,
        mut command: Command,
        stdout: Stdio,
        log: &Path,
    ) -> anyhow::Result<u32> {
        let err =
            fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        command.stdin(Stdio::null()).stdout(stdout).stderr(err);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let pid = child.id();
        self.running
            .push((name.to_owned(), child, log.to_path_buf()));
        Ok(pid)
    }

    /// Fails when a process has exited, quoting the end of its log.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        for (name, child, log) in &mut self.running {
            if let Ok(Some(status)) = child.try_wait() {
                let text = fs::read_to_string(&*log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                bail!(
                    "{name} exited ({status}); its log ends:\n{}",
                    tail.join("\n")
                );
            }
        }
        Ok(())
    }

    /// Waits until `addr` accepts a TCP connection, failing early when a process exited.
    pub fn wait_listening(&mut self, addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            self.check_running()?;
            if Instant::now() > deadline {
                bail!("nothing listens on {addr} after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback address with a port that was free a moment ago.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("no free local port")?;
    Ok(listener.local_addr()?)
}
