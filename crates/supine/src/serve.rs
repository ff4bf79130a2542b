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
    let ip = match (listen_address(args.listen.as_deref())?, args.lan) {
        (ip, true) if ip.is_loopback() && args.listen.is_none() => {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
        (ip, true) if ip.is_loopback() => anyhow::bail!(
            "--lan serves your network, so it cannot listen on {ip}; leave --listen out, or name this computer's address on the network"
        ),
        (ip, _) => ip,
    };
    // With --lan: the address phones reach, and the certificate they are served.
    let lan = if args.lan {
        let shown = crate::lan::address(Some(ip))?;
        let (identity, dir) = crate::lan::identity(shown)?;
        Some((shown, identity, dir))
    } else {
        None
    };
    let access = match lan {
        Some(_) => Access::SignIn {
            secure_cookies: true,
        },
        None => Access::for_listen(ip),
    };
    start_log(args.log.unwrap_or(if access == Access::Loopback {
        LogLevel::Warn
    } else {
        LogLevel::Info
    }));
    let content = Arc::new(load_content(cli.content.as_deref())?);
    let mut journal = open_journal(cli)?;
    if lan.is_none() && access != Access::Loopback {
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
    if lan.is_some() {
        eprintln!(
            "warning: listening on {ip} with HTTPS: the phones you pair, and anyone who signs in with an account, can read and change this journal. Unpair a phone with `supine devices revoke`."
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
        let reached = lan.as_ref().map_or(ip, |(shown, _, _)| *shown);
        if !reached.is_unspecified() && !reached.is_loopback() {
            host_names.push(match reached {
                IpAddr::V6(v6) => format!("[{v6}]"),
                IpAddr::V4(v4) => v4.to_string(),
            });
        }
        let tls = lan
            .as_ref()
            .map(|(_, identity, _)| identity.server_config())
            .transpose()
            .context("cannot set up HTTPS with the kept certificate")?;
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
            tls,
        };
        let mut out = std::io::stdout();
        let url = match &lan {
            None => format!("http://127.0.0.1:{port}/"),
            Some((shown, identity, dir)) => {
                let base = crate::lan::base_url(*shown, port);
                writeln!(
                    out,
                    "supine is at {base}/ on your network (press Ctrl+C to stop)"
                )?;
                crate::lan::print_identity(&mut out, identity, dir)?;
                crate::lan::print_pairing(&mut out, journal.as_mut(), &base)?;
                format!("{base}/")
            }
        };
        let state = AppState::new(content, journal, &config)?;
        if lan.is_none() {
            writeln!(out, "supine is at {url} (press Ctrl+C to stop)")?;
        }
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
