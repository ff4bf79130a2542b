//! `supine admin` and `supine serve` beyond loopback, run as processes: accounts are added with a
//! password on standard input, listed and removed, and the server refuses to open to the
//! network until one exists, then asks everyone to sign in.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use super::cli::{Home, stderr, stdout};
use super::serve::raw;

/// `supine admin add-user ARGS --password-stdin` with `password` as its input.
fn add_user(home: &Home, args: &[&str], password: &str) -> Output {
    let mut all = vec!["admin", "add-user"];
    all.extend_from_slice(args);
    all.push("--password-stdin");
    home.run_with_input(&all, password)
}

fn accounts(home: &Home) -> serde_json::Value {
    let o = home.run(&["admin", "list-users", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn accounts_are_added_listed_and_removed() {
    let home = Home::new();
    let o = home.run(&["admin", "list-users"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("no accounts yet"), "{}", stdout(&o));

    let o = add_user(&home, &["ana"], "a calm long password\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("added ana (admin)"), "{}", stdout(&o));
    let o = add_user(&home, &["ben"], "another long password\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = add_user(
        &home,
        &["dr lee", "--role", "clinician"],
        "yet another one\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let list = accounts(&home);
    let roles: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["role"].as_str().unwrap()))
        .collect();
    // The first account manages the others; later ones practise unless told.
    assert_eq!(
        roles,
        [("ana", "admin"), ("ben", "person"), ("dr lee", "clinician")]
    );
    let text = stdout(&home.run(&["admin", "list-users"]));
    assert!(
        text.contains("dr lee") && text.contains("clinician"),
        "{text}"
    );
    // The password and its hash are never shown.
    assert!(
        !text.contains("argon2") && !text.contains("calm long"),
        "{text}"
    );

    // The same name twice, a short password and a bad name are refused, adding nothing.
    let o = add_user(&home, &["ben"], "a different password\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("already an account called"),
        "{}",
        stderr(&o)
    );
    let o = add_user(&home, &["cy"], "short\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("at least 8 characters"),
        "{}",
        stderr(&o)
    );
    let o = add_user(&home, &[" cy"], "a long enough password\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = add_user(&home, &["cy"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--password-stdin"), "{}", stderr(&o));
    assert_eq!(accounts(&home).as_array().unwrap().len(), 3);

    // The last admin stays while others depend on them.
    let o = home.run(&["admin", "remove-user", "ana"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("last admin"), "{}", stderr(&o));
    let o = home.run(&["admin", "remove-user", "ben"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["admin", "remove-user", "ben"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no account called"), "{}", stderr(&o));
    let names: Vec<String> = accounts(&home)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["ana", "dr lee"]);
}

#[test]
fn serve_beyond_loopback_refuses_to_start_without_an_account() {
    let home = Home::new();
    let o = home.run(&["serve", "--listen", "0.0.0.0", "--port", "0"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("will not listen on 0.0.0.0"), "{err}");
    assert!(err.contains("supine admin add-user NAME"), "{err}");
    assert!(
        stdout(&o).is_empty(),
        "it printed an address: {}",
        stdout(&o)
    );
}

#[test]
fn serve_beyond_loopback_asks_even_a_program_naming_127_0_0_1_to_sign_in() {
    let home = Home::new();
    let o = add_user(&home, &["ana"], "a calm long password\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut child = home
        .cmd(&["serve", "--listen", "0.0.0.0", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let host = format!("127.0.0.1:{port}");
    let (status, body) = raw(
        port,
        &format!("GET /api/sessions HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    let screening = r#"{"answers":{}}"#;
    let (post_status, _) = raw(
        port,
        &format!(
            "POST /api/screening HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{screening}",
            screening.len()
        ),
    );
    let (page, _) = raw(
        port,
        &format!("GET /signin.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(status.contains(" 401 "), "{status} {body}");
    assert!(body.contains("sign in first"), "{body}");
    assert!(post_status.contains(" 401 "), "{post_status}");
    assert!(page.contains(" 200 "), "{page}");
    let warning = stderr(&out);
    assert!(
        warning.contains("who sign in with an account can read and change this journal"),
        "{warning}"
    );
}

#[test]
fn the_first_account_shares_the_journal_and_later_ones_have_their_own() {
    let home = Home::new();
    let o = add_user(&home, &["ana"], "a calm long password\n");
    assert!(
        stdout(&o).contains("the journal of the person who runs supine"),
        "{}",
        stdout(&o)
    );
    let o = add_user(&home, &["ben"], "another long password\n");
    assert!(
        stdout(&o).contains("a journal of its own"),
        "{}",
        stdout(&o)
    );
    let o = add_user(
        &home,
        &["cy", "--journal", "shared"],
        "a third long password\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let profiles: Vec<(String, serde_json::Value)> = accounts(&home)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a["profile"].clone()))
        .collect();
    assert_eq!(
        profiles,
        [
            ("ana".to_owned(), serde_json::Value::Null),
            ("ben".to_owned(), serde_json::json!("ben")),
            ("cy".to_owned(), serde_json::Value::Null),
        ]
    );
}

#[test]
fn clinicians_are_assigned_their_people_and_invitations_are_links() {
    let home = Home::new();
    add_user(&home, &["root"], "a calm long password\n");
    add_user(&home, &["ana"], "another long password\n");
    add_user(
        &home,
        &["dr lee", "--role", "clinician"],
        "yet another one\n",
    );
    let o = home.run(&["admin", "assign", "dr lee", "ana"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("dr lee now follows ana"),
        "{}",
        stdout(&o)
    );
    let o = home.run(&["admin", "assign", "dr lee", "ana"]);
    assert!(stdout(&o).contains("already follows"), "{}", stdout(&o));
    // Roles are checked: a person follows no one, an admin is no one's person.
    let o = home.run(&["admin", "assign", "ana", "dr lee"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is a person account, not a clinician one"),
        "{}",
        stderr(&o)
    );
    let o = home.run(&["admin", "assign", "dr lee", "nobody"]);
    assert!(
        stderr(&o).contains("no account called \"nobody\""),
        "{}",
        stderr(&o)
    );

    let o = home.run(&[
        "admin",
        "invite",
        "cat",
        "--clinician",
        "dr lee",
        "--url",
        "https://clinic.example/",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("https://clinic.example/invite.html#"), "{out}");
    let text = stdout(&home.run(&["admin", "list-users"]));
    assert!(text.contains("dr lee follows ana"), "{text}");
    assert!(text.contains("cat is invited (person), until "), "{text}");
    let list = accounts(&home);
    let ana = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "ana")
        .unwrap();
    assert_eq!(ana["followed_by"], serde_json::json!(["dr lee"]));
    let o = home.run(&["admin", "invite", "cat"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("an invitation that still works"),
        "{}",
        stderr(&o)
    );
    let o = home.run(&["admin", "invite", "dan", "--url", "clinic.example"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = home.run(&["admin", "unassign", "dr lee", "ana"]);
    assert!(stdout(&o).contains("no longer follows"), "{}", stdout(&o));
    let o = home.run(&["admin", "unassign", "dr lee", "ana"]);
    assert_eq!(o.status.code(), Some(1));
}
