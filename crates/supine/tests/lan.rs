//! `supine serve --lan` and `supine devices`, run as processes: the server makes its
//! certificate once and keeps it, prints a pairing address with a one-time code, answers plain
//! HTTP with a pointer to https://; `supine devices` lists, pairs and revokes.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use super::cli::{Home, stderr, stdout};
use super::serve::raw;

/// What `supine serve --lan --port 0` prints up to its pairing address, and its port; `None`
/// when this machine has no network to serve (no address its traffic would leave by).
fn lan_start(home: &Home) -> Option<(Vec<String>, u16)> {
    let mut child = home
        .cmd(&["serve", "--lan", "--port", "0", "--log", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in out.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("pair: ");
        lines.push(line);
        if done {
            break;
        }
    }
    // The rest is read too: a server whose output is closed stops.
    std::thread::spawn(move || out.for_each(drop));
    let Some(pair) = lines.iter().find(|l| l.starts_with("pair: ")).cloned() else {
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(
            err.contains("cannot tell this computer's address"),
            "no pairing address: {lines:?} {err}"
        );
        eprintln!("skipped: this machine has no network address to serve");
        return None;
    };
    let port: u16 = pair
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {pair:?}"));
    // Plain HTTP to the HTTPS port is told what to do.
    let (status, body) = raw(
        port,
        &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(status.contains(" 400 "), "{status}");
    assert!(body.contains("https://"), "{body}");
    Some((lines, port))
}

#[test]
fn serve_lan_keeps_its_certificate_and_prints_a_one_time_pairing_address() {
    let home = Home::new();
    let Some((first, _)) = lan_start(&home) else {
        return;
    };
    let text = first.join("\n");
    assert!(text.contains("on your network"), "{text}");
    assert!(text.contains("made now in"), "{text}");
    let fingerprint = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("  ") && l.matches(':').count() == 31)
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no fingerprint in {text}"))
    };
    let pair = first.iter().find(|l| l.starts_with("pair: ")).unwrap();
    assert!(pair.contains("/pair.html#"), "{pair}");
    let key = home.path().join("config/supine/tls/key.der");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
    }
    // The second start keeps the certificate (a phone's "proceed" stays good) and makes a new
    // code.
    let (second, _) = lan_start(&home).unwrap();
    let again = second.join("\n");
    assert!(again.contains("kept in"), "{again}");
    assert_eq!(fingerprint(&text), fingerprint(&again));
    let pair_again = second.iter().find(|l| l.starts_with("pair: ")).unwrap();
    assert_ne!(pair, pair_again);
}

#[test]
fn devices_lists_pairs_and_revokes() {
    let home = Home::new();
    let o = home.run(&["devices"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("no paired devices"), "{}", stdout(&o));
    let o = home.run(&["devices", "list", "--json"]);
    assert_eq!(stdout(&o).trim(), "[]");
    let o = home.run(&["devices", "pair", "--address", "10.0.0.5", "--port", "8443"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("pair: https://10.0.0.5:8443/pair.html#"),
        "{out}"
    );
    assert!(out.contains('█'), "no QR code: {out}");
    let o = home.run(&["devices", "pair", "--address", "not-an-address"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--address wants an IP address"),
        "{}",
        stderr(&o)
    );
    let o = home.run(&["devices", "revoke", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no paired device number 3"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn serve_lan_will_not_listen_on_loopback() {
    let home = Home::new();
    let o = home.run(&["serve", "--lan", "--listen", "127.0.0.1", "--port", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--lan serves your network"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}
