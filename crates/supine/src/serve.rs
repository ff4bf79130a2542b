//! `supine serve`: the web app on 127.0.0.1 (or a chosen address), over the same journal and
//! content as the terminal, with the server's limits (`supine_server::limits`).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use supine_server::{Access, AppState, Config, Timeouts};

use crate::cli::{Cli, LogLevel, ServeArgs};
use crate::files::load_content;
use crate::practice::open_journal;

/// `supine serve`.
pub fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let ip = listen_address(args.listen.as_deref())?;
    let access = Access::for_listen(ip);
    start_log(args.log.unwrap_or(if access == Access::Loopback {
        LogLevel::Warn
    } else {
        LogLevel::Info
    }));
    let content = Arc::new(load_content(cli.content.as_deref())?);
    let journal = open_journal(cli)?;
    if access != Access::Loopback {
        // Beyond loopback nothing is served without sign-in, so there must be someone to sign
        // in: checked before anything listens.
        if journal.accounts()?.is_empty() {
            anyhow::bail!(
                "supine will not listen on {ip} yet: beyond 127.0.0.1 everyone must sign in, and \
                 this journal has no account. Add one with `supine admin add-user NAME` (it asks \
                 for a password), then start `supine serve --listen {ip}` again"
            );
        }
        eprintln!(
            "warning: listening on {ip}: people on your network who sign in with an account can \
             read and change this journal (sessions, screenings, settings). Add --host-name NAME \
             for each name they will use."
        );
    }
    let speed = args.speed.unwrap_or(1.0);
    if !(speed.is_finite() && speed > 0.0 && speed <= 10_000.0) {
        anyhow::bail!("--speed must be a number above 0 (got {speed})");
    }
    // Journal calls run on blocking threads but take turns on one connection, so a few threads
    // are plenty; more would only cost memory under load.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
            .await
            .with_context(|| format!("cannot listen on {ip}:{}", args.port))?;
        let port = listener.local_addr()?.port();
        let mut host_names = args.host_names.clone();
        if !ip.is_unspecified() && !ip.is_loopback() {
            host_names.push(match ip {
                IpAddr::V6(v6) => format!("[{v6}]"),
                IpAddr::V4(v4) => v4.to_string(),
            });
        }
        let config = Config {
            port,
            host_names,
            speed,
            timeouts: Timeouts {
                drain: std::time::Duration::from_secs(args.drain),
                ..Timeouts::default()
            },
            access,
            live_sessions: args.live_sessions.get(),
        };
        let state = AppState::new(content, journal, &config)?;
        let url = format!("http://127.0.0.1:{port}/");
        let mut out = std::io::stdout();
        writeln!(out, "supine is at {url} (press Ctrl+C to stop)")?;
        out.flush()?;
        if args.open {
            open_browser(&url);
        }
        let stop = stop_signals(state.clone(), args.drain)?;
        supine_server::serve(listener, state, stop)
            .await
            .context("the web server stopped")
    })
}

/// Completes on the first Ctrl+C or SIGTERM, saying what happens next; a second one makes
/// the stop not wait for the sessions going on ([`AppState::stop_now`]).
fn stop_signals(
    state: AppState,
    drain_s: u64,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    let mut signals = async move || {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    Ok(async move {
        signals().await;
        match state.sessions_going_on() {
            0 => eprintln!("supine is stopping."),
            n => eprintln!(
                "supine is stopping: {n} {} going on may finish first (up to {drain_s} s), \
                 saved as {} goes. Press Ctrl+C again to stop now; nothing is lost either way.",
                if n == 1 { "session" } else { "sessions" },
                if n == 1 { "it" } else { "each" },
            ),
        }
        tokio::spawn(async move {
            signals().await;
            state.stop_now();
        });
    })
}

/// Logs on stderr at `level`: the request log at info, problems at warn.
fn start_log(level: LogLevel) {
    use tracing_subscriber::filter::LevelFilter;
    let filter = match level {
        LogLevel::Off => LevelFilter::OFF,
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
    };
    // Only one logger per process; a second call (none today) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(filter)
        .with_target(false)
        .try_init();
}

/// The address `--listen` names (an IP address, or `localhost` for 127.0.0.1); 127.0.0.1
/// without it.
fn listen_address(listen: Option<&str>) -> anyhow::Result<IpAddr> {
    match listen.map(str::trim) {
        None => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Some(a) if a.eq_ignore_ascii_case("localhost") => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Some(a) => a.parse().map_err(|_| {
            anyhow::anyhow!("--listen wants an IP address such as 0.0.0.0, or localhost (got {a})")
        }),
    }
}

/// Opens the page with `xdg-open` (or `open` on macOS); never fails the server.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!("could not start {opener}; open {url} in your browser");
    }
}
