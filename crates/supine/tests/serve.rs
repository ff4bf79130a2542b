//! `supine serve`, run as a process: it prints where it is, answers on loopback, and refuses
//! other host names.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    start_with(&[], Stdio::null())
}

/// `supine serve` on a free port with these extra arguments and stderr.
fn start_with(args: &[&str], stderr: Stdio) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_supine"))
        .args(["serve", "--port", "0", "--db"])
        .arg(dir.path().join("journal.db"))
        .args(args)
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env_remove("SUPINE_LOG")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server {
        child,
        port,
        _dir: dir,
    }
}

/// A bare HTTP/1.1 GET; returns the status line and the body.
fn get(port: u16, host: &str, path: &str) -> (String, String) {
    raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends `request` as it is; returns the status line and the body.
pub(crate) fn raw(port: u16, request: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[test]
fn serve_prints_its_address_and_answers_on_loopback() {
    let server = start();
    let host = format!("127.0.0.1:{}", server.port);
    let (status, body) = get(server.port, &host, "/");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("<title>supine</title>"), "{body}");
    let (status, body) = get(server.port, &host, "/api/today");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"routine_name\""), "{body}");
}

#[test]
fn serve_refuses_other_host_names() {
    let server = start();
    let (status, body) = get(server.port, "attacker.example", "/api/today");
    assert!(status.contains("403"), "{status}");
    assert!(body.contains("\"error\""), "{body}");
}

#[test]
fn serve_refuses_two_host_headers_and_a_target_naming_another_host() {
    let server = start();
    let port = server.port;
    let (status, body) = raw(
        port,
        &format!(
            "GET /api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\
             Connection: close\r\n\r\n"
        ),
    );
    assert!(status.contains("400"), "{status}");
    assert!(body.contains("one Host header"), "{body}");
    let (status, body) = raw(
        port,
        &format!(
            "GET http://evil.example/api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Connection: close\r\n\r\n"
        ),
    );
    assert!(status.contains("403"), "{status}");
    assert!(body.contains("evil.example"), "{body}");
}

#[test]
fn serve_answers_options_and_wrong_methods_in_json() {
    let server = start();
    let port = server.port;
    let (status, body) = raw(
        port,
        &format!(
            "OPTIONS /api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(status.contains("405"), "{status}");
    assert!(
        body.contains("\"error\"") && body.contains("OPTIONS"),
        "{body}"
    );
}

#[test]
fn a_listen_address_that_is_not_an_ip_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_supine"))
        .args(["serve", "--listen", "everywhere", "--db"])
        .arg(dir.path().join("journal.db"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen wants an IP address"), "{err}");
}

/// Sends SIGTERM, as a service manager stops a service; the exit status and stderr, once it
/// has exited (within a bound only a server that never stops misses).
fn terminate(server: &mut Server) -> (std::process::ExitStatus, String) {
    let pid = server.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < until,
            "still running after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = server.child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    (status, err)
}

#[test]
fn sigterm_stops_serve_cleanly_and_the_request_log_has_routes_not_queries() {
    let mut server = start_with(&["--log", "info"], Stdio::piped());
    let host = format!("127.0.0.1:{}", server.port);
    let (status, _) = get(server.port, &host, "/api/plan?minutes=9");
    assert!(status.contains("200"), "{status}");
    let (status, body) = get(server.port, "10.0.0.5", "/readyz");
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, r#"{"status":"ready"}"#);
    let (code, err) = terminate(&mut server);
    assert!(code.success(), "{code:?}: {err}");
    assert!(err.contains("supine is stopping"), "{err}");
    assert!(err.contains("route=/api/plan"), "{err}");
    assert!(err.contains("status=200"), "{err}");
    assert!(err.contains("stopped"), "{err}");
    assert!(!err.contains("minutes"), "{err}");
    assert!(!err.contains("readyz"), "{err}");
}

#[test]
fn on_loopback_serve_logs_only_problems_by_default() {
    let mut server = start_with(&[], Stdio::piped());
    let host = format!("127.0.0.1:{}", server.port);
    let (status, _) = get(server.port, &host, "/api/today");
    assert!(status.contains("200"), "{status}");
    let (code, err) = terminate(&mut server);
    assert!(code.success(), "{code:?}: {err}");
    assert!(!err.contains("route="), "{err}");
}
