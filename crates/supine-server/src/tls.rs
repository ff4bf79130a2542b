//! HTTPS for `supine serve --lan`: a self-signed certificate made on the first run and kept in
//! a folder of the caller's choosing (the config dir), and the TLS set-up that serves it.
//!
//! A phone's browser gives pages a camera only in a secure context, so the LAN needs HTTPS.
//! No certificate authority knows a laptop on a home network: the certificate signs itself, the
//! phone's browser warns once, and the fingerprint printed at start lets the person check that
//! the certificate the phone shows is this one. It is kept (not made anew each run) so that the
//! phone's "proceed" stays valid.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// The certificate's file in the folder: DER.
const CERT_FILE: &str = "cert.der";
/// The private key's file in the folder: PKCS #8 DER, readable by its owner only.
const KEY_FILE: &str = "key.der";

/// How long a new certificate is valid: ten years, so that a phone's "proceed" does not lapse.
/// (The 398-day cap browsers set applies to certificates from public authorities, not to one
/// the person accepted themselves.)
const VALID_YEARS: i32 = 10;

/// Why HTTPS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file of the certificate could not be read or written.
    #[error("{what} {path}: {source}")]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// The kept certificate or key is not usable.
    #[error(
        "the certificate kept in {dir} cannot be used ({why}); remove that folder and start \
         again to make a new one (each paired phone then accepts the new one once)"
    )]
    Unusable {
        /// The folder.
        dir: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A new certificate could not be made.
    #[error("cannot make a certificate: {0}")]
    Make(String),
}

/// The server's certificate and key.
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    made: bool,
}

/// Leaves the key out.
impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint())
            .field("made", &self.made)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The certificate kept in `dir`, or a new one made there (for `names`: host names and IP
    /// addresses, valid from `today` for ten years) when the folder has none. The key file is
    /// readable by its owner only; both files are written whole or not at all.
    pub fn load_or_make(
        dir: &Path,
        names: &[String],
        today: NaiveDate,
    ) -> Result<Identity, TlsError> {
        let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if cert_path.exists() || key_path.exists() {
            let read = |path: &Path| {
                fs::read(path).map_err(|source| TlsError::File {
                    what: "cannot read",
                    path: path.to_owned(),
                    source,
                })
            };
            let identity = Identity {
                cert: CertificateDer::from(read(&cert_path)?),
                key: PrivatePkcs8KeyDer::from(read(&key_path)?),
                made: false,
            };
            identity.server_config().map_err(|e| TlsError::Unusable {
                dir: dir.to_owned(),
                why: e.to_string(),
            })?;
            return Ok(identity);
        }
        let identity = Identity::make(names, today)?;
        fs::create_dir_all(dir).map_err(|source| TlsError::File {
            what: "cannot make the folder",
            path: dir.to_owned(),
            source,
        })?;
        // The key first: a certificate without its key is never left behind.
        write_private(&key_path, identity.key.secret_pkcs8_der())?;
        write_private(&cert_path, identity.cert.as_ref())?;
        Ok(identity)
    }

    /// A new self-signed certificate for `names`, valid from the day before `today` for
    /// [`VALID_YEARS`] years, for serving only.
    pub fn make(names: &[String], today: NaiveDate) -> Result<Identity, TlsError> {
        let fail = |e: rcgen::Error| TlsError::Make(e.to_string());
        let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(fail)?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "supine on this computer");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let from = today - Duration::days(1);
        let until = from.with_year(from.year() + VALID_YEARS).unwrap_or(from);
        // Months and days from chrono are always in range for a u8.
        params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
        params.not_after =
            rcgen::date_time_ymd(until.year(), until.month() as u8, until.day() as u8);
        let key = rcgen::KeyPair::generate().map_err(fail)?;
        let cert = params.self_signed(&key).map_err(fail)?;
        Ok(Identity {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            made: true,
        })
    }

    /// Whether this run made the certificate (rather than finding it kept).
    pub fn made(&self) -> bool {
        self.made
    }

    /// The certificate's SHA-256 fingerprint as browsers show it: 32 pairs of uppercase hex
    /// digits joined by colons.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.cert.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The TLS set-up for serving this certificate: TLS 1.2 and 1.3 with rustls' safe
    /// defaults, HTTP/1.1 only.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        // ring rather than aws-lc-rs keeps the build to the C compiler alone; rustls marks it
        // deprecated for lacking post-quantum key exchange, which a link across a home network
        // to a yoga session can do without.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The certificate itself (DER), for a client that should trust it (tests).
    pub fn cert_der(&self) -> &[u8] {
        self.cert.as_ref()
    }
}

/// Writes `bytes` to `path` through a file beside it (readable by its owner only) renamed into
/// place, so that the file is whole or absent.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    let part = path.with_extension("part");
    let fail = |what, source| TlsError::File {
        what,
        path: path.to_owned(),
        source,
    };
    let mut open = fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open.open(&part).map_err(|e| fail("cannot write", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail("cannot write", e))?;
    fs::rename(&part, path).map_err(|e| fail("cannot write", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn a_certificate_is_made_once_and_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let names = vec!["localhost".to_owned(), "192.168.1.5".to_owned()];
        let first = Identity::load_or_make(&tls, &names, today()).unwrap();
        assert!(first.made());
        let again = Identity::load_or_make(&tls, &names, today()).unwrap();
        assert!(!again.made());
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(first.fingerprint().len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tls.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
        }
    }

    #[test]
    fn a_damaged_certificate_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned()];
        Identity::load_or_make(dir.path(), &names, today()).unwrap();
        fs::write(dir.path().join(KEY_FILE), b"not a key").unwrap();
        let e = Identity::load_or_make(dir.path(), &names, today()).unwrap_err();
        assert!(matches!(e, TlsError::Unusable { .. }), "{e}");
        assert!(e.to_string().contains("remove that folder"), "{e}");
    }
}
