//! The PostgreSQL backend: the conformance suite, each story in a schema of its own, and what only
//! a server shows (profiles in one database, writers at once, newer schemas, bad credentials).
//!
//! The server's URL comes from `SUPINE_TEST_PG_URL` (or `SUPINE_DATABASE_URL`). Without one the
//! tests say so on stderr and pass, unless `SUPINE_REQUIRE_PG=1` (CI), where they fail.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use supine_store::{Journal, PgJournal, StoreError};

use super::{
    RACE_CLINICIAN, RACE_NOW, hash, new_session, race_clinician, race_code, race_device,
    race_invitation, race_password,
};

/// The test server's URL, or `None` after saying why the test is skipped.
pub fn url(test: &str) -> Option<String> {
    let url = ["SUPINE_TEST_PG_URL", "SUPINE_DATABASE_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
    if url.is_none() {
        assert!(
            std::env::var("SUPINE_REQUIRE_PG").as_deref() != Ok("1"),
            "SUPINE_REQUIRE_PG=1 but neither SUPINE_TEST_PG_URL nor SUPINE_DATABASE_URL is set"
        );
        // The test thread is named after the test.
        let current = std::thread::current();
        let test = current.name().unwrap_or(test);
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipping PostgreSQL test {test}: set SUPINE_TEST_PG_URL=postgres://... to run it"
        );
    }
    url
}

/// A schema of its own for one test (created by the first journal that connects to it),
/// dropped with everything in it at the end.
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

pub fn schema(url: String) -> Schema {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "supine_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    Schema { url, name }
}

/// A fresh journal for `profile` in a new schema, or `None` when there is no server to use.
pub fn fresh(test: &str, profile: &str) -> Option<(Schema, PgJournal)> {
    let s = schema(url(test)?);
    let j = PgJournal::connect_in_schema(&s.url, profile, Some(&s.name))
        .unwrap_or_else(|e| panic!("cannot open a PostgreSQL journal: {e:#?}"));
    Some((s, j))
}

mod conformance {
    all_stories!(super::fresh(module_path!(), "local"));
}

#[test]
fn profiles_share_a_database_but_not_their_records() {
    let Some((s, mut anna)) = fresh("profiles", "anna") else {
        return;
    };
    let mut ben = PgJournal::connect_in_schema(&s.url, "ben", Some(&s.name)).unwrap();
    let a = anna
        .start_session(&new_session("2026-11-26T09:00:00+01:00"))
        .unwrap();
    ben.start_session(&new_session("2026-11-26T10:00:00+01:00"))
        .unwrap();
    ben.save_setting("pace", &serde_json::json!(6)).unwrap();
    assert_eq!(anna.recent_sessions(10).unwrap().len(), 1);
    assert_eq!(ben.recent_sessions(10).unwrap().len(), 1);
    assert_eq!(
        ben.session(a).unwrap(),
        None,
        "another profile's session is not seen"
    );
    assert!(matches!(
        ben.heartbeat(a, "2026-11-26T10:01:00+01:00"),
        Err(StoreError::UnknownSession { .. })
    ));
    assert_eq!(anna.load_setting("pace").unwrap(), None);
    assert_eq!(anna.profile(), "anna");
    // Reconnecting finds the same profile and its records.
    let again = PgJournal::connect_in_schema(&s.url, "anna", Some(&s.name)).unwrap();
    assert_eq!(again.recent_sessions(10).unwrap().len(), 1);
}

#[test]
fn two_journals_write_at_once() {
    let Some((s, mut first)) = fresh("writers", "local") else {
        return;
    };
    let mut second = PgJournal::connect_in_schema(&s.url, "local", Some(&s.name)).unwrap();
    let ids = std::thread::scope(|scope| {
        let writers: Vec<_> = [&mut first, &mut second]
            .into_iter()
            .enumerate()
            .map(|(w, j)| {
                scope.spawn(move || {
                    (0..50)
                        .map(|i| {
                            j.start_session(&new_session(&format!(
                                "2026-11-{:02}T09:{i:02}:00+01:00",
                                w + 1
                            )))
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(ids.len(), 100);
    assert_eq!(first.history().unwrap().len(), 100);
}

#[test]
fn a_newer_schema_is_refused() {
    let Some((s, j)) = fresh("newer schema", "local") else {
        return;
    };
    drop(j);
    let mut c = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "INSERT INTO {}.schema_migrations (version) VALUES (999)",
        s.name
    ))
    .unwrap();
    let err = PgJournal::connect_in_schema(&s.url, "local", Some(&s.name)).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 999, .. }),
        "{err:?}"
    );
}

#[test]
fn a_wrong_password_is_a_clear_error_without_the_password() {
    let Some(url) = url("wrong password") else {
        return;
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        panic!("not a URL: {url}")
    };
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let bad = format!("{scheme}://supine:not-the-password@{host}");
    let err = PgJournal::connect(&bad, "local").unwrap_err();
    assert!(matches!(err, StoreError::CannotConnect { .. }), "{err:?}");
    assert!(!err.to_string().contains("not-the-password"), "{err}");
}

#[test]
fn a_session_is_claimed_by_one_connection_until_it_lets_go_or_ends() {
    let Some((s, mut first)) = fresh("claims", "local") else {
        return;
    };
    let id = first
        .start_session(&new_session("2026-12-04T09:00:00+01:00"))
        .unwrap();
    let mut second = PgJournal::connect_in_schema(&s.url, "local", Some(&s.name)).unwrap();
    assert!(first.claim_session(id).unwrap());
    assert!(first.claim_session(id).unwrap(), "claimed here already");
    assert!(
        !second.claim_session(id).unwrap(),
        "another server plays it"
    );
    first.release_session(id).unwrap();
    assert!(second.claim_session(id).unwrap());
    assert!(!first.claim_session(id).unwrap());
    // Another schema numbers its sessions from 1 too: its claims are its own.
    let other = schema(s.url.clone());
    let mut elsewhere =
        PgJournal::connect_in_schema(&other.url, "local", Some(&other.name)).unwrap();
    assert!(elsewhere.claim_session(id).unwrap());
    // A connection that ends (a server killed) lets go at once.
    drop(second);
    let start = std::time::Instant::now();
    while !first.claim_session(id).unwrap() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "the claim of a closed connection was not let go"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn devices_belong_to_one_profile() {
    let Some((s, mut anna)) = fresh("devices of profiles", "anna") else {
        return;
    };
    let mut ben = PgJournal::connect_in_schema(&s.url, "ben", Some(&s.name)).unwrap();
    supine_store::conformance::devices_belong_to_one_profile(&mut anna, &mut ben);

    // A reader sees its profile's devices and changes nothing.
    let mut reader = PgJournal::connect_read_only_in_schema(&s.url, "ben", Some(&s.name)).unwrap();
    let devices = reader.devices().unwrap();
    assert_eq!(devices, ben.devices().unwrap());
    let [d] = devices.as_slice() else {
        panic!("ben has one device: {devices:?}")
    };
    assert_eq!(
        reader.device_by_token(&d.token_hash).unwrap(),
        Some(d.clone())
    );
    let refused = [
        reader.revoke_device(d.id).map(drop),
        reader.device_seen(d.id, "2026-12-07T10:00:00+01:00"),
        reader.add_pairing_code(&race_code(9)),
        reader
            .pair_device(&hash(9), RACE_NOW, &race_device(9, 0))
            .map(drop),
    ];
    for r in refused {
        assert!(matches!(r, Err(StoreError::ReadOnly { .. })), "{r:?}");
    }
    assert_eq!(ben.devices().unwrap(), devices, "nothing changed");
}

/// Two servers try one code at the same instant: a third connection holds the code's row
/// until both wait for it, then lets go. Under READ COMMITTED the one that gets the row second
/// finds it used when it looks again, and pairs nothing.
#[test]
fn two_servers_trying_one_pairing_code_at_once_pair_one_device() {
    const ROUNDS: u32 = 5;
    let Some((s, first)) = fresh("pairing race", "local") else {
        return;
    };
    drop(first);
    // The racers' connections carry the schema's name, so that the wait below counts them only.
    let sep = if s.url.contains('?') { '&' } else { '?' };
    let racer_url = format!("{}{sep}application_name={}", s.url, s.name);
    let mut first = PgJournal::connect_in_schema(&racer_url, "local", Some(&s.name)).unwrap();
    let mut second = PgJournal::connect_in_schema(&racer_url, "local", Some(&s.name)).unwrap();
    let mut holder = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    holder
        .batch_execute(&format!("SET search_path TO {}", s.name))
        .unwrap();
    let mut monitor = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    for round in 0..ROUNDS {
        first.add_pairing_code(&race_code(round)).unwrap();
        let mut hold = holder.transaction().unwrap();
        let held = hold
            .execute(
                "SELECT 1 FROM pairing_codes WHERE code_hash = $1 FOR UPDATE",
                &[&hash(round)],
            )
            .unwrap();
        assert_eq!(held, 1);
        let won: Vec<bool> = std::thread::scope(|scope| {
            let racers: Vec<_> = [&mut first, &mut second]
                .into_iter()
                .zip(0..)
                .map(|(j, racer)| {
                    scope.spawn(move || {
                        j.pair_device(&hash(round), RACE_NOW, &race_device(round, racer))
                            .unwrap()
                            .is_some()
                    })
                })
                .collect();
            let start = std::time::Instant::now();
            loop {
                let waiting: i64 = monitor
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = $1 AND wait_event_type = 'Lock'",
                        &[&s.name],
                    )
                    .unwrap()
                    .get(0);
                if waiting == 2 {
                    break;
                }
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(10),
                    "round {round}: {waiting} of the 2 racers wait for the held code"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            hold.commit().unwrap();
            racers.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
    assert_eq!(first.devices().unwrap().len(), ROUNDS as usize);
}

/// Two servers accept one invitation at the same instant: a third connection holds the
/// invitation's row until both wait for it, then lets go. The one that gets the row second
/// finds it used when it looks again, and makes no account.
#[test]
fn two_servers_accepting_one_invitation_at_once_make_one_account() {
    const ROUNDS: u32 = 5;
    let Some((s, mut first)) = fresh("invitation race", "local") else {
        return;
    };
    assert!(first.add_account(&race_clinician()).unwrap());
    drop(first);
    let sep = if s.url.contains('?') { '&' } else { '?' };
    let racer_url = format!("{}{sep}application_name={}", s.url, s.name);
    let mut first = PgJournal::connect_in_schema(&racer_url, "local", Some(&s.name)).unwrap();
    let mut second = PgJournal::connect_in_schema(&racer_url, "local", Some(&s.name)).unwrap();
    let mut holder = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    holder
        .batch_execute(&format!("SET search_path TO {}", s.name))
        .unwrap();
    let mut monitor = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    for round in 0..ROUNDS {
        let invitation = race_invitation(round);
        assert!(first.add_invitation(&invitation).unwrap());
        let mut hold = holder.transaction().unwrap();
        let held = hold
            .execute(
                "SELECT 1 FROM invitations WHERE token_hash = $1 FOR UPDATE",
                &[&invitation.token_hash],
            )
            .unwrap();
        assert_eq!(held, 1);
        let made: Vec<Option<supine_store::Account>> = std::thread::scope(|scope| {
            let racers: Vec<_> = [&mut first, &mut second]
                .into_iter()
                .zip(0..)
                .map(|(j, racer)| {
                    let token = &invitation.token_hash;
                    scope.spawn(move || {
                        j.accept_invitation(token, RACE_NOW, &race_password(racer))
                            .unwrap()
                    })
                })
                .collect();
            let start = std::time::Instant::now();
            loop {
                let waiting: i64 = monitor
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE application_name = $1 AND wait_event_type = 'Lock'",
                        &[&s.name],
                    )
                    .unwrap()
                    .get(0);
                if waiting == 2 {
                    break;
                }
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(10),
                    "round {round}: {waiting} of the 2 racers wait for the held invitation"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            hold.commit().unwrap();
            racers.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let [winner] = made.iter().flatten().collect::<Vec<_>>()[..] else {
            panic!("round {round}: {made:?}")
        };
        assert_eq!(
            first.account(&winner.name).unwrap().as_ref(),
            Some(winner),
            "round {round}: the account kept is the winner's"
        );
    }
    assert_eq!(first.accounts().unwrap().len(), 1 + ROUNDS as usize);
    assert_eq!(
        first.people_of(RACE_CLINICIAN).unwrap().len(),
        ROUNDS as usize
    );
}

/// An invitation whose name an account takes while it is being accepted makes nothing: the
/// accepting server waits for the other's account, then rolls its use of the invitation back.
#[test]
fn an_account_added_while_an_invitation_is_accepted_keeps_the_name() {
    let Some((s, mut setup)) = fresh("invitation name race", "local") else {
        return;
    };
    assert!(setup.add_account(&race_clinician()).unwrap());
    let invitation = race_invitation(7);
    assert!(setup.add_invitation(&invitation).unwrap());
    // The accepting connection carries the schema's name, so that the wait below counts it.
    let sep = if s.url.contains('?') { '&' } else { '?' };
    let racer_url = format!("{}{sep}application_name={}", s.url, s.name);
    let mut j = PgJournal::connect_in_schema(&racer_url, "local", Some(&s.name)).unwrap();
    // Another server adds an account of the same name and has not committed yet.
    let mut other = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    other
        .batch_execute(&format!("SET search_path TO {}", s.name))
        .unwrap();
    let mut monitor = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    let mut adding = other.transaction().unwrap();
    adding
        .execute(
            "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms)
             VALUES ($1, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$other', 'admin',
                 '2026-12-05T10:00:00+01:00', 0)",
            &[&invitation.name],
        )
        .unwrap();
    let made = std::thread::scope(|scope| {
        let accepting = scope.spawn(|| {
            j.accept_invitation(&invitation.token_hash, RACE_NOW, &race_password(0))
                .unwrap()
        });
        // The accepting server has used the invitation and waits for the other's account.
        let start = std::time::Instant::now();
        loop {
            let waiting: i64 = monitor
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE application_name = $1 AND wait_event_type = 'Lock'",
                    &[&s.name],
                )
                .unwrap()
                .get(0);
            if waiting == 1 {
                break;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "the accepting server does not wait for the other's account"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        adding.commit().unwrap();
        accepting.join().unwrap()
    });
    assert_eq!(made, None);
    let kept = setup.account(&invitation.name).unwrap().unwrap();
    assert_eq!(
        kept.role,
        supine_store::Role::Admin,
        "the other server's account"
    );
    assert!(setup.clinicians_of(&invitation.name).unwrap().is_empty());
    assert_eq!(
        setup.open_invitations(RACE_NOW).unwrap(),
        [invitation],
        "the invitation is unused still"
    );
}

#[test]
fn a_reader_moves_between_profiles_and_creates_none() {
    let Some((s, mut anna)) = fresh("reader profiles", "anna") else {
        return;
    };
    anna.use_profile("anna").unwrap();
    anna.start_session(&new_session("2026-11-26T09:00:00+01:00"))
        .unwrap();
    let mut reader =
        PgJournal::connect_read_only_in_schema(&s.url, "local", Some(&s.name)).unwrap();
    assert!(reader.recent_sessions(10).unwrap().is_empty());
    reader.use_profile("anna").unwrap();
    assert_eq!(reader.profile(), "anna");
    assert_eq!(reader.recent_sessions(10).unwrap().len(), 1);
    reader.use_profile("nobody").unwrap();
    assert!(reader.recent_sessions(10).unwrap().is_empty());
    assert!(matches!(
        reader.add_audit(&supine_store::AuditEntry {
            at: RACE_NOW.to_owned(),
            actor: "dr lee".to_owned(),
            action: "progress".to_owned(),
        }),
        Err(StoreError::ReadOnly { .. })
    ));
    let mut c = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    let profiles: i64 = c
        .query_one(
            &format!(
                "SELECT count(*) FROM {}.profiles WHERE name = 'nobody'",
                s.name
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(profiles, 0, "the reader made no profile");
    // A writer's use_profile makes it, and the reader then finds it.
    anna.use_profile("nobody").unwrap();
    anna.save_setting("pace", &serde_json::json!(5)).unwrap();
    reader.use_profile("nobody").unwrap();
    assert_eq!(
        reader.load_setting("pace").unwrap(),
        Some(serde_json::json!(5))
    );
}

/// A journal at schema version 4 (before accounts had profiles) is brought up to date: its
/// accounts keep everything and have no profile, and the new tables work.
#[test]
fn a_version_4_schema_is_upgraded_and_keeps_its_accounts() {
    let Some(url) = url("upgrade from 4") else {
        return;
    };
    let s = schema(url);
    let mut c = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "CREATE SCHEMA {0}; SET search_path TO {0};
         CREATE TABLE schema_migrations (
             version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());",
        s.name
    ))
    .unwrap();
    for (version, sql) in [
        (
            1i64,
            include_str!("../../migrations/postgres/0001_init.sql"),
        ),
        (
            2,
            include_str!("../../migrations/postgres/0002_session_uid.sql"),
        ),
        (
            3,
            include_str!("../../migrations/postgres/0003_accounts.sql"),
        ),
        (
            4,
            include_str!("../../migrations/postgres/0004_devices.sql"),
        ),
    ] {
        c.batch_execute(sql).unwrap();
        c.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .unwrap();
    }
    c.batch_execute(
        "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms)
         VALUES ('dr lee', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$old', 'clinician',
             '2026-12-01T09:00:00+01:00', 1764576000000),
             ('ana', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$ana', 'person',
             '2026-12-01T09:00:00+01:00', 1764576000000)",
    )
    .unwrap();
    let mut j = PgJournal::connect_in_schema(&s.url, "local", Some(&s.name)).unwrap();
    let old = j.account("dr lee").unwrap().unwrap();
    assert_eq!(old.profile, None);
    assert_eq!(old.role, supine_store::Role::Clinician);
    assert_eq!(old.created_at, "2026-12-01T09:00:00+01:00");
    assert!(j.assign("dr lee", "ana").unwrap());
    assert_eq!(j.people_of("dr lee").unwrap(), ["ana"]);
}
