//! Service processes: start them detached with their output in a log file, remember them in a pid
//! file, find out whether they still run, stop them, and say who holds a busy port.
//!
//! Linux only: liveness and port owners are read from `/proc`.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `cmd` in its own process group, appending its output to `log`, and records its pid.
///
/// The process outlives this one: the stack keeps running after `kafka-demo stack up` returns.
pub(crate) fn spawn_detached(cmd: &mut Command, log: &Path, pid_file: &Path) -> io::Result<u32> {
    let out = OpenOptions::new().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0)
        .spawn()?;
    let pid = child.id();
    fs::write(pid_file, format!("{pid}\n"))?;
    Ok(pid)
}

/// The pid recorded in `pid_file`, if there is a readable one.
pub(crate) fn read_pid(pid_file: &Path) -> Option<u32> {
    fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}

/// Whether `pid` is a running process (zombies count as gone).
pub(crate) fn is_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// Whether the running process `pid` is ours: its command line mentions `marker` (a path inside
/// the data folder), so a recycled pid never gets signalled.
pub(crate) fn is_ours(pid: u32, marker: &str) -> bool {
    is_alive(pid) && command_line(pid).is_some_and(|cmd| cmd.contains(marker))
}

/// The command line of `pid`, arguments separated by spaces.
pub(crate) fn command_line(pid: u32) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let text = String::from_utf8_lossy(&raw).replace('\0', " ");
    Some(text.trim().to_owned())
}

/// Sends SIGTERM, waits up to `grace` for the process to go, then kills it.
/// Returns `true` when it stopped by itself.
pub(crate) async fn terminate(pid: u32, grace: Duration) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return true;
    };
    if kill(Pid::from_raw(raw), Signal::SIGTERM).is_err() {
        return !is_alive(pid);
    }
    if wait_until_gone(pid, grace).await {
        return true;
    }
    let _ = kill(Pid::from_raw(raw), Signal::SIGKILL);
    wait_until_gone(pid, Duration::from_secs(5)).await;
    false
}

async fn wait_until_gone(pid: u32, deadline: Duration) -> bool {
    let check = async {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while is_alive(pid) {
            tick.tick().await;
        }
    };
    tokio::time::timeout(deadline, check).await.is_ok()
}

/// Whether `port` on 127.0.0.1 can be bound right now.
pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Who listens on `port`, as "pid N (command)", when `/proc` tells.
pub(crate) fn port_holder(port: u16) -> Option<String> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| listening_inode(&fs::read_to_string(table).ok()?, port))?;
    let needle = format!("socket:[{inode}]");
    let pid = fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let fds = fs::read_dir(entry.path().join("fd")).ok()?;
        fds.flatten()
            .any(|fd| {
                fs::read_link(fd.path()).is_ok_and(|target| target.to_string_lossy() == needle)
            })
            .then_some(pid)
    })?;
    let mut cmd = command_line(pid).unwrap_or_default();
    if cmd.len() > 120 {
        let cut = (0..=120)
            .rev()
            .find(|i| cmd.is_char_boundary(*i))
            .unwrap_or(0);
        cmd.truncate(cut);
        cmd.push('…');
    }
    Some(format!("pid {pid} ({cmd})"))
}

/// Finds the socket inode listening on `port` in a `/proc/net/tcp`-style table.
fn listening_inode(table: &str, port: u16) -> Option<u64> {
    const LISTEN: &str = "0A";
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let local_port = cols.get(1)?.rsplit_once(':')?.1;
        let matches = u16::from_str_radix(local_port, 16).ok()? == port && *cols.get(3)? == LISTEN;
        matches.then(|| cols.get(9)?.parse().ok()).flatten()
    })
}

/// The last `lines` lines of a log file (reads at most its last 64 KiB).
pub fn tail(path: &Path, lines: usize) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(no log at {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_listening_socket_of_a_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:98A4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n\
           1: 0100007F:1F90 0100007F:98A4 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0\n";
        assert_eq!(listening_inode(table, 0x98A4), Some(4242));
        // An established connection on a port is not a listener.
        assert_eq!(listening_inode(table, 0x1F90), None);
        assert_eq!(listening_inode(table, 1), None);
    }

    #[test]
    fn names_the_holder_of_a_busy_port() -> io::Result<()> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        assert!(!port_is_free(port));
        let holder = port_holder(port).unwrap_or_default();
        assert!(
            holder.starts_with(&format!("pid {} ", std::process::id())),
            "{holder}"
        );
        drop(listener);
        assert!(port_is_free(port));
        Ok(())
    }

    #[test]
    fn this_process_is_alive_and_ours() {
        let me = std::process::id();
        assert!(is_alive(me));
        let cmd = command_line(me).unwrap_or_default();
        let exe = cmd.split(' ').next().unwrap_or_default().to_owned();
        assert!(is_ours(me, &exe));
        assert!(!is_ours(me, "/no/such/marker"));
    }

    #[test]
    fn tail_keeps_the_last_lines() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("x.log");
        fs::write(
            &log,
            (1..=100).map(|i| format!("line {i}\n")).collect::<String>(),
        )?;
        assert_eq!(tail(&log, 2), "line 99\nline 100");
        assert!(tail(&dir.path().join("missing"), 3).starts_with("(no log at"));
        Ok(())
    }

    #[tokio::test]
    async fn terminate_stops_a_process_and_reaps_nothing_it_should_not() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut cmd = Command::new("sleep");
        cmd.arg("600");
        let pid = spawn_detached(&mut cmd, &dir.path().join("log"), &dir.path().join("pid"))?;
        assert_eq!(read_pid(&dir.path().join("pid")), Some(pid));
        assert!(is_alive(pid));
        assert!(terminate(pid, Duration::from_secs(10)).await);
        assert!(!is_alive(pid));
        Ok(())
    }
}
