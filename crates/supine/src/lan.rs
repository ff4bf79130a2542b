//! `supine serve --lan` and `supine devices`: this computer's address on the home network, the
//! certificate HTTPS uses there, and pairing codes shown as QR codes in the terminal.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

use anyhow::Context;
use chrono::Local;
use supine_server::Identity;
use supine_store::Journal;

use crate::cli::{Cli, DevicesCommand};
use crate::practice::open_journal;
use crate::{files, term_text};

/// This computer's address on the network: `listen` when it names one, else the address
/// its traffic would leave by (a UDP socket "connected" to a documentation address, which
/// sends nothing, tells which).
pub fn address(listen: Option<IpAddr>) -> anyhow::Result<IpAddr> {
    if let Some(ip) = listen.filter(|ip| !ip.is_unspecified()) {
        return Ok(ip);
    }
    let found = UdpSocket::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
        .and_then(|s| {
            s.connect(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 9))?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified() && !ip.is_loopback());
    found.context(
        "cannot tell this computer's address on your network (is it connected?); name it with \
         --listen ADDRESS (for `supine devices pair`, --address ADDRESS)",
    )
}

/// The page's address on the network, `https://ADDRESS:PORT`.
pub fn base_url(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("https://{v4}:{port}"),
        IpAddr::V6(v6) => format!("https://[{v6}]:{port}"),
    }
}

/// The certificate for HTTPS on the network, kept in `$XDG_CONFIG_HOME/supine/tls` (made there
/// on the first run, for `localhost`, 127.0.0.1 and `ip`).
pub fn identity(ip: IpAddr) -> anyhow::Result<(Identity, std::path::PathBuf)> {
    let dir = files::config_dir()?.join("tls");
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        ip.to_string(),
    ];
    let identity = Identity::load_or_make(&dir, &names, Local::now().date_naive())?;
    Ok((identity, dir))
}

/// Makes a pairing code and prints it: the QR code of the pairing address, the address, the
/// code to type, and until when it works. The line `pair: URL` is for scripts.
pub fn print_pairing(
    out: &mut impl Write,
    journal: &mut dyn Journal,
    base: &str,
) -> anyhow::Result<()> {
    let code = supine_server::make_pairing_code(journal, Local::now())?;
    let url = supine_server::pairing_url(base, &code.code);
    writeln!(
        out,
        "To pair a phone or tablet, scan this with its camera (it works once, until {}):",
        code.expires_at.format("%H:%M")
    )?;
    match supine_server::qr_text(&url) {
        Ok(qr) => writeln!(out, "{qr}")?,
        Err(e) => writeln!(out, "(the QR code cannot be drawn: {e})")?,
    }
    writeln!(
        out,
        "or open {base}/pair.html on it and type the code {}",
        supine_server::grouped(&code.code)
    )?;
    writeln!(out, "pair: {url}")?;
    writeln!(out, "For another code later: supine devices pair")?;
    out.flush()?;
    Ok(())
}

/// Prints how to check the certificate on the phone.
pub fn print_identity(
    out: &mut impl Write,
    identity: &Identity,
    dir: &std::path::Path,
) -> io::Result<()> {
    writeln!(
        out,
        "HTTPS uses a certificate of this computer's own ({} {}), SHA-256 fingerprint:\n  {}\n\
         The phone's browser will warn that it does not know it: check that its details show \
         this fingerprint, then go on.",
        if identity.made() {
            "made now in"
        } else {
            "kept in"
        },
        dir.display(),
        identity.fingerprint()
    )
}

/// `supine devices ...`.
pub fn devices(cli: &Cli, command: Option<&DevicesCommand>) -> anyhow::Result<()> {
    match command {
        None => list(cli, false),
        Some(DevicesCommand::List { json }) => list(cli, *json),
        Some(DevicesCommand::Pair { port, address: a }) => {
            let listen = a
                .as_deref()
                .map(|a| {
                    a.trim().parse::<IpAddr>().map_err(|_| {
                        crate::Usage(format!(
                            "--address wants an IP address such as 192.168.1.5 (got {a})"
                        ))
                    })
                })
                .transpose()?;
            let ip = address(listen)?;
            let mut journal = open_journal(cli)?;
            print_pairing(
                &mut io::stdout().lock(),
                journal.as_mut(),
                &base_url(ip, *port),
            )
        }
        Some(DevicesCommand::Revoke { id }) => {
            let mut journal = open_journal(cli)?;
            if !journal.revoke_device(*id)? {
                anyhow::bail!("there is no paired device number {id}; `supine devices` lists them");
            }
            println!("device {id} is revoked: it is signed out at its next request");
            Ok(())
        }
    }
}

fn list(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let journal = open_journal(cli)?;
    let devices = journal.devices()?;
    let mut out = io::stdout().lock();
    if json {
        let list: Vec<serde_json::Value> = devices
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id,
                    "name": d.name,
                    "paired_at": d.paired_at,
                    "last_seen_at": d.last_seen_at,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(list))?;
        return Ok(());
    }
    if devices.is_empty() {
        writeln!(
            out,
            "no paired devices; start `supine serve --lan` and scan the code it shows"
        )?;
        return Ok(());
    }
    let width = devices
        .iter()
        .map(|d| term_text::show_lines(&d.name).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    writeln!(
        out,
        "{:>4}  {:width$}  {:29}  last used",
        "no.", "name", "paired"
    )?;
    for d in &devices {
        let name = term_text::show_lines(&d.name);
        writeln!(
            out,
            "{:>4}  {name:width$}  {:29}  {}",
            d.id, d.paired_at, d.last_seen_at
        )?;
    }
    Ok(())
}
