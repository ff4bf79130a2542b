//! Journal benchmarks; prints numbers, asserts nothing.
//!
//! ```sh
//! cargo bench -p supine-store --bench journal                # SQLite only
//! SUPINE_TEST_PG_URL=postgres://... cargo bench -p supine-store --bench journal
//! SUPINE_BENCH_DB=/tmp/ten-years.db cargo bench -p supine-store --bench journal  # keep the file
//! ```
//!
//! 1. Seeds 10 years of daily sessions (start, one event, finish: each its own committed
//!    transaction) for one profile in SQLite and reports the latency of each write (p50, p99).
//! 2. Reads the history back (what `supine progress` reads).
//! 3. With a PostgreSQL URL: the same on PostgreSQL, then 1000 profiles × 1 year seeded in bulk
//!    with SQL, and the history of one profile read back.

use std::time::{Duration, Instant};

use serde_json::json;
use supine_store::{Journal, NewSession, PgJournal, SessionEvent, SessionFinish, SqliteJournal};

const DAYS: i64 = 3650;

/// `2016-12-01` plus `n` days, as RFC 3339 at `hh:mm` +01:00.
fn at(n: i64, hh: u32, mm: u32) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2016, 12, 1).unwrap() + chrono::Days::new(n as u64);
    format!("{d}T{hh:02}:{mm:02}:00.000+01:00")
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<40} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
        samples.len(),
        pct(&samples, 0.5).as_secs_f64() * 1e3,
        pct(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}

/// Writes 10 years of sessions through the trait, timing every write.
fn seed(j: &mut dyn Journal, label: &str) {
    let (mut starts, mut events, mut finishes) = (Vec::new(), Vec::new(), Vec::new());
    let t0 = Instant::now();
    for n in 0..DAYS {
        let before = (6 - n * 3 / DAYS) as u8;
        let s = NewSession {
            started_at: at(n, 19, 30),
            routine_id: "supine-basics".into(),
            routine_name: "Supine basics".into(),
            settings: json!({"minutes": 10, "inhale_ms": 4000, "exhale_ms": 6000}),
            plan_total_ms: 600_000,
            segments_total: 12,
            pain_before: Some(before),
            pain_areas: vec![supine_store::PainArea::LowerBack],
            pain_spreads: Some(false),
        };
        let t = Instant::now();
        let id = j.start_session(&s).unwrap();
        starts.push(t.elapsed());
        let ev = SessionEvent {
            at: at(n, 19, 31),
            kind: "segment_done".into(),
            data: json!({"index": 0, "pose": "hip_rotations"}),
        };
        let t = Instant::now();
        j.record_event(id, &ev).unwrap();
        events.push(t.elapsed());
        let f = SessionFinish {
            ended_at: at(n, 19, 41),
            end_reason: "completed".into(),
            pain_after: Some(before.saturating_sub(2)),
        };
        let t = Instant::now();
        j.finish_session(id, &f).unwrap();
        finishes.push(t.elapsed());
    }
    println!(
        "{label}: seeded {DAYS} sessions (3 committed writes each) in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    report(&format!("{label} start_session"), starts);
    report(&format!("{label} record_event"), events);
    report(&format!("{label} finish_session"), finishes);
}

fn time_history(j: &dyn Journal, label: &str, runs: usize) {
    let mut samples = Vec::new();
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = j.history().unwrap().len();
        samples.push(t.elapsed());
    }
    report(&format!("{label} history() of {n} sessions"), samples);
}

fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var_os("SUPINE_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    if path.exists() {
        println!("{} exists: remove it to seed afresh", path.display());
        return;
    }
    let mut j = SqliteJournal::open(&path).unwrap();
    seed(&mut j, "sqlite");
    time_history(&j, "sqlite", 20);
    println!("sqlite journal: {}", path.display());
}

fn postgres(url: &str) {
    let schema = format!("supine_bench_{}", std::process::id());
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut j = PgJournal::connect_in_schema(url, "local", Some(&schema)).unwrap();
    seed(&mut j, "postgres");
    time_history(&j, "postgres", 20);

    // 1000 profiles x 1 year, in bulk (this measures reads, not the seeding).
    let t = Instant::now();
    admin
        .batch_execute(&format!(
            "SET search_path TO {schema};
             INSERT INTO profiles (name) SELECT 'p' || g FROM generate_series(1, 1000) g;
             INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                 last_seen_at_ms, ended_at, ended_at_ms, routine_id, routine_name, settings,
                 status, end_reason, pain_before, pain_after, pain_areas, pain_spreads,
                 plan_total_ms, segments_total)
             SELECT p.id, to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"'),
                 (extract(epoch FROM ts) * 1000)::bigint,
                 to_char(ts + interval '11 min', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"'),
                 (extract(epoch FROM ts + interval '11 min') * 1000)::bigint,
                 to_char(ts + interval '11 min', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"'),
                 (extract(epoch FROM ts + interval '11 min') * 1000)::bigint,
                 'supine-basics', 'Supine basics', '{{}}', 'finished', 'completed',
                 5, 3, '{{lower_back}}', false, 600000, 12
             FROM profiles p
             CROSS JOIN generate_series(timestamp '2025-11-26 18:30', timestamp '2026-11-25 18:30',
                 interval '1 day') ts
             WHERE p.name LIKE 'p%';
             ANALYZE;"
        ))
        .unwrap();
    println!(
        "postgres: seeded 1000 profiles x 1 year in bulk in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let one = PgJournal::connect_in_schema(url, "p500", Some(&schema)).unwrap();
    time_history(&one, "postgres 1000x1y: p500", 50);
    let t = Instant::now();
    let _ = PgJournal::connect_in_schema(url, "p501", Some(&schema)).unwrap();
    println!(
        "postgres connect + migration check + profile lookup: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    if std::env::var_os("SUPINE_BENCH_KEEP").is_none() {
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    } else {
        println!("kept schema {schema}");
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    sqlite();
    match std::env::var("SUPINE_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => postgres(&url),
        _ => println!("postgres: skipped (set SUPINE_TEST_PG_URL=postgres://... to run it)"),
    }
}
