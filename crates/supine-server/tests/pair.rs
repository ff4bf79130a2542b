//! Pairing a phone with `supine serve --lan`: a code pairs once and only within its 5 minutes;
//! the device's cookie opens this profile's journal until the device is revoked; a server
//! without HTTPS pairs nothing; and the server really speaks TLS with the certificate it keeps.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use chrono::{Duration, Local, NaiveDate};
use supine_server::{Identity, make_pairing_code};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::auth::{call, network_app, program};
use super::*;

fn identity() -> Identity {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    Identity::make(&names, NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()).unwrap()
}

/// The app as `supine serve --lan` makes it over the journal at `path`, and a pairing code made
/// `made_ago` before now.
fn lan_app(path: &Path, made_ago: Duration) -> (Router, String) {
    let mut j = SqliteJournal::open(path).unwrap();
    let code = make_pairing_code(&mut j, Local::now() - made_ago)
        .unwrap()
        .code;
    let mut c = config(1.0, Timeouts::default());
    c.access = Access::SignIn {
        secure_cookies: true,
    };
    c.tls = Some(identity().server_config().unwrap());
    let app = router(AppState::new(Arc::new(Content::builtin()), Box::new(j), &c).unwrap());
    (app, code)
}

fn pair_request(code: &str, peer: &str) -> Request<Body> {
    let mut req = program(
        "POST",
        "/api/pair",
        Some(json!({ "code": code, "name": "Ana's phone" })),
        None,
    );
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

/// Pairs with `code`; returns the device's number and the `name=value` of its cookie.
async fn pair(app: &Router, code: &str) -> (i64, String) {
    let (res, v) = call(app, pair_request(code, "192.168.1.30:40000")).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");
    assert_eq!(v["name"], "Ana's phone");
    assert_eq!(v["this_device"], true);
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let attrs: Vec<String> = set.split(';').map(|a| a.trim().to_lowercase()).collect();
    for attr in ["httponly", "secure", "samesite=strict", "path=/"] {
        assert!(attrs.contains(&attr.to_owned()), "{set} lacks {attr}");
    }
    let pair = set.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("supine_device="), "{set}");
    (v["id"].as_i64().unwrap(), pair)
}

#[tokio::test]
async fn a_code_pairs_once_and_not_after_five_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let (app, code) = lan_app(&dir.path().join("j.db"), Duration::zero());
    // A wrong code, then the right one typed as people do (small letters, in groups).
    let (res, _) = call(&app, pair_request("AAAABBBBCCCCDDDD", "192.168.1.30:1")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let typed = supine_server::grouped(&code).to_lowercase();
    pair(&app, &typed).await;
    let (res, v) = call(&app, pair_request(&code, "192.168.1.31:1")).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a code pairs once: {v}"
    );
    assert!(
        v["error"].as_str().unwrap().contains("supine devices pair"),
        "{v}"
    );
    assert!(!res.headers().contains_key(header::SET_COOKIE));

    // A code made 5 minutes ago no longer works; one made 4 minutes ago still does.
    let (app, old) = lan_app(&dir.path().join("old.db"), Duration::minutes(5));
    let (res, _) = call(&app, pair_request(&old, "192.168.1.30:1")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (app, recent) = lan_app(&dir.path().join("recent.db"), Duration::minutes(4));
    pair(&app, &recent).await;
}

#[tokio::test]
async fn a_paired_device_opens_the_journal_until_it_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (app, code) = lan_app(&dir.path().join("j.db"), Duration::zero());
    let (res, _) = call(&app, program("GET", "/api/today", None, None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (id, cookie) = pair(&app, &code).await;
    let (res, v) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");
    let (_, v) = call(&app, program("GET", "/api/account", None, Some(&cookie))).await;
    assert_eq!(v["device"], true, "{v}");
    assert_eq!(v["pairing"], true, "{v}");
    assert_eq!(v["name"], "Ana's phone");
    let (res, v) = call(&app, program("GET", "/api/devices", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["id"], id);
    assert_eq!(v[0]["this_device"], true);
    assert!(v[0].get("token_hash").is_none(), "{v}");

    // Revoked (here by itself): its cookie is cleared and opens nothing any more.
    let path = format!("/api/devices/{id}");
    let (res, _) = call(&app, program("DELETE", &path, None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("supine_device=;"), "{cleared}");
    for route in ["/api/today", "/api/devices", "/api/sessions"] {
        let (res, _) = call(&app, program("GET", route, None, Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{route}");
    }
}

#[tokio::test]
async fn another_device_can_revoke_one_and_signing_out_unpairs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let (app, code) = lan_app(&path, Duration::zero());
    let (phone, phone_cookie) = pair(&app, &code).await;
    let second = make_pairing_code(&mut SqliteJournal::open(&path).unwrap(), Local::now())
        .unwrap()
        .code;
    let (tablet, tablet_cookie) = pair(&app, &second).await;
    assert_ne!(phone, tablet);

    // The tablet revokes the phone: the phone is out, the tablet is not.
    let (res, _) = call(
        &app,
        program(
            "DELETE",
            &format!("/api/devices/{phone}"),
            None,
            Some(&tablet_cookie),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    let (res, _) = call(
        &app,
        program("GET", "/api/today", None, Some(&phone_cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, v) = call(
        &app,
        program(
            "DELETE",
            &format!("/api/devices/{phone}"),
            None,
            Some(&tablet_cookie),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{v}");

    // Signing out on the tablet unpairs it.
    let (res, _) = call(
        &app,
        program("POST", "/api/sign-out", None, Some(&tablet_cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (res, _) = call(
        &app,
        program("GET", "/api/today", None, Some(&tablet_cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        SqliteJournal::open(&path)
            .unwrap()
            .devices()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_server_without_https_pairs_nothing_and_honours_no_device_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    // A device paired through a --lan server on this journal...
    let (lan, code) = lan_app(&path, Duration::zero());
    let (_, cookie) = pair(&lan, &code).await;
    drop(lan);
    // ...opens nothing on a plain-HTTP server over the same journal, and no code pairs there.
    let app = network_app(&path, false);
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let code = make_pairing_code(&mut SqliteJournal::open(&path).unwrap(), Local::now())
        .unwrap()
        .code;
    let (res, v) = call(&app, pair_request(&code, "192.168.1.30:1")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "{v}");
    assert!(v["error"].as_str().unwrap().contains("--lan"), "{v}");
}

#[tokio::test]
async fn pairing_attempts_are_limited_per_peer() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = lan_app(&dir.path().join("j.db"), Duration::zero());
    let mut limited = false;
    for _ in 0..supine_server::limits::SIGN_IN_PEER_BURST + 1 {
        let (res, _) = call(&app, pair_request("AAAABBBBCCCCDDDD", "10.9.9.9:1")).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key(header::RETRY_AFTER));
            limited = true;
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "guessing went on without limit");
    // Another address is not held up.
    let (res, _) = call(&app, pair_request("AAAABBBBCCCCDDDD", "10.9.9.10:1")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The server on a real port with HTTPS: a client that trusts the kept certificate gets the
/// page over TLS; a plain-HTTP request is told to use https://.
#[tokio::test]
async fn the_lan_server_speaks_tls_with_its_certificate_and_tells_plain_http_so() {
    let identity = identity();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut c = config(1.0, Timeouts::default());
    c.port = port;
    c.access = Access::SignIn {
        secure_cookies: true,
    };
    c.tls = Some(identity.server_config().unwrap());
    let journal = SqliteJournal::open_in_memory().unwrap();
    let state = AppState::new(Arc::new(Content::builtin()), Box::new(journal), &c).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(supine_server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            identity.cert_der().to_vec(),
        ))
        .unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let ask =
        format!("GET /pair.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    tls.write_all(ask.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A TLS peer may close without close_notify once the reply is sent; what came is enough.
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Pair this device"), "{answer}");

    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    plain.write_all(ask.as_bytes()).await.unwrap();
    let mut answer = String::new();
    plain.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("https://"), "{answer}");

    state.stop_now();
    let _ = stop.send(());
    done.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_device_in_use_is_seen_and_its_cookie_renewed_at_most_every_ten_minutes() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let (app, _) = lan_app(&path, Duration::zero());
    // A device paired an hour ago, last seen then.
    let token = "a-token-the-test-knows";
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut j = SqliteJournal::open(&path).unwrap();
    let made = make_pairing_code(&mut j, Local::now()).unwrap().code;
    let hour_ago = (Local::now() - Duration::hours(1)).to_rfc3339();
    let code_hash: String = Sha256::digest(made.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let device = j
        .pair_device(
            &code_hash,
            &Local::now().to_rfc3339(),
            &supine_store::NewDevice {
                name: "Old phone".into(),
                token_hash: hash,
                paired_at: hour_ago.clone(),
            },
        )
        .unwrap()
        .expect("the code pairs");
    let cookie = format!("supine_device={token}");
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let renewed = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(renewed.starts_with(&format!("{cookie};")), "{renewed}");
    let seen = &j.devices().unwrap()[0];
    assert_eq!(seen.id, device.id);
    assert!(seen.last_seen_at > hour_ago, "{seen:?}");
    // Just seen: the next request writes nothing and sets no cookie.
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
}
