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
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_supine"))
        .args(["serve", "--port", "0", "--db"])
        .arg(dir.path().join("journal.db"))
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
