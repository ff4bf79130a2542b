//! `supine admin`: the accounts that may sign in to `supine serve` beyond 127.0.0.1. Passwords
//! are read without echo (or from standard input with `--password-stdin`) and stored only as
//! Argon2id hashes (`supine_server::hash_password`).

use std::io::{self, BufRead, Write};

use anyhow::Context;
use supine_store::{Account, Role};

use crate::cli::{AdminCommand, Cli, JournalArg, RoleArg};
use crate::practice::{now, open_journal};
use crate::term_text;

/// `supine admin ...`.
pub fn admin(cli: &Cli, command: &AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::AddUser {
            name,
            role,
            journal,
            password_stdin,
        } => add_user(cli, name, *role, *journal, *password_stdin),
        AdminCommand::Invite {
            name,
            role,
            journal,
            clinician,
            url,
        } => invite(
            cli,
            name,
            role_of(*role),
            *journal,
            clinician.as_deref(),
            url,
        ),
        AdminCommand::Assign { clinician, person } => assign(cli, clinician, person, true),
        AdminCommand::Unassign { clinician, person } => assign(cli, clinician, person, false),
        AdminCommand::ListUsers { json } => list_users(cli, *json),
        AdminCommand::RemoveUser { name } => remove_user(cli, name),
    }
}

fn role_of(arg: RoleArg) -> Role {
    match arg {
        RoleArg::Person => Role::Person,
        RoleArg::Clinician => Role::Clinician,
        RoleArg::Admin => Role::Admin,
    }
}

/// The profile an account of that name uses: `None` for the shared journal (the server's).
fn profile_of(name: &str, journal: JournalArg) -> Option<String> {
    match journal {
        JournalArg::Shared => None,
        JournalArg::Own => Some(name.to_owned()),
    }
}

/// How an account's journal reads in a sentence.
fn whose(profile: Option<&str>) -> String {
    match profile {
        None => "the journal of the person who runs supine".to_owned(),
        Some(p) => format!(
            "a journal of its own (profile {:?})",
            term_text::show_lines(p)
        ),
    }
}

fn add_user(
    cli: &Cli,
    name: &str,
    role: Option<RoleArg>,
    journal_arg: Option<JournalArg>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    // Everything that can be refused is refused before the password is asked.
    supine_store::validate_account_name(name).map_err(|e| crate::Usage(e.to_string()))?;
    let mut journal = open_journal(cli)?;
    if journal.account(name)?.is_some() {
        anyhow::bail!(
            "there is already an account called {:?}; pick another name, or remove it first with \
             `supine admin remove-user`",
            term_text::show_lines(name)
        );
    }
    let first = journal.accounts()?.is_empty();
    let role = match role {
        Some(r) => role_of(r),
        None if first => Role::Admin,
        None => Role::Person,
    };
    let password = if password_stdin {
        read_password_line(&mut io::stdin().lock())?
    } else {
        ask_password(name)?
    };
    supine_server::check_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password_hash =
        supine_server::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let profile = profile_of(
        name,
        journal_arg.unwrap_or(if first {
            JournalArg::Shared
        } else {
            JournalArg::Own
        }),
    );
    let added = journal.add_account(&Account {
        name: name.to_owned(),
        password_hash,
        role,
        created_at: now(),
        profile: profile.clone(),
    })?;
    if !added {
        anyhow::bail!(
            "there is already an account called {:?}",
            term_text::show_lines(name)
        );
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "added {} ({role}), using {}. They sign in on the page of `supine serve --listen \
         ADDRESS`.",
        term_text::show_lines(name),
        whose(profile.as_deref())
    )?;
    Ok(())
}

fn invite(
    cli: &Cli,
    name: &str,
    role: Role,
    journal_arg: JournalArg,
    clinician: Option<&str>,
    url: &str,
) -> anyhow::Result<()> {
    supine_store::validate_account_name(name).map_err(|e| crate::Usage(e.to_string()))?;
    let base = url.trim();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(crate::Usage(format!(
            "--url wants the address people reach supine at, such as https://clinic.example (got {base})"
        ))
        .into());
    }
    let mut journal = open_journal(cli)?;
    if let Some(c) = clinician {
        check_role(journal.as_ref(), c, Role::Clinician)?;
    }
    let profile = profile_of(name, journal_arg);
    let invite = supine_server::Invite {
        name: name.to_owned(),
        role,
        profile: profile.clone(),
        clinician: clinician.map(str::to_owned),
    };
    let Some((token, expires)) =
        supine_server::make_invitation(journal.as_mut(), &invite, chrono::Local::now())?
    else {
        anyhow::bail!(
            "{:?} has an account, or an invitation that still works, already",
            term_text::show_lines(name)
        );
    };
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Send {} this link; it works once, until {} ({role}, using {}):\n{}",
        term_text::show_lines(name),
        expires.format("%Y-%m-%d %H:%M"),
        whose(profile.as_deref()),
        supine_server::invitation_url(base, &token)
    )?;
    Ok(())
}

/// Refuses unless `name` is an account with that role.
fn check_role(journal: &dyn supine_store::Journal, name: &str, role: Role) -> anyhow::Result<()> {
    match journal.account(name)? {
        Some(a) if a.role == role => Ok(()),
        Some(a) => anyhow::bail!(
            "{:?} is a {} account, not a {role} one",
            term_text::show_lines(name),
            a.role
        ),
        None => anyhow::bail!(
            "there is no account called {:?}; `supine admin list-users` lists them",
            term_text::show_lines(name)
        ),
    }
}

fn assign(cli: &Cli, clinician: &str, person: &str, on: bool) -> anyhow::Result<()> {
    let mut journal = open_journal(cli)?;
    check_role(journal.as_ref(), clinician, Role::Clinician)?;
    check_role(journal.as_ref(), person, Role::Person)?;
    let (c, p) = (
        term_text::show_lines(clinician),
        term_text::show_lines(person),
    );
    let mut out = io::stdout().lock();
    if on {
        if journal.assign(clinician, person)? {
            writeln!(
                out,
                "{c} now follows {p}: they see {p}'s progress and sessions, and {p} sees each \
                 look in their audit log"
            )?;
        } else {
            writeln!(out, "{c} already follows {p}")?;
        }
    } else if journal.unassign(clinician, person)? {
        writeln!(out, "{c} no longer follows {p}")?;
    } else {
        anyhow::bail!("{c:?} does not follow {p:?}");
    }
    Ok(())
}

/// Asks for the password twice on the terminal, without echo.
fn ask_password(name: &str) -> anyhow::Result<String> {
    let no_terminal = || {
        "cannot read a password from the terminal; run this in a terminal, or give it on \
         standard input with --password-stdin"
    };
    let first = rpassword::prompt_password(format!(
        "Password for {} (at least {} characters): ",
        term_text::show_lines(name),
        supine_server::PASSWORD_MIN_CHARS
    ))
    .context(no_terminal())?;
    supine_server::check_password(&first).map_err(|e| anyhow::anyhow!("{e}"))?;
    let again = rpassword::prompt_password("The same password again: ").context(no_terminal())?;
    if first != again {
        anyhow::bail!("the two passwords differ; nothing was added, so run the command again");
    }
    Ok(first)
}

/// The first line of `input`, without its line ending.
fn read_password_line(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    io::Read::take(&mut *input, supine_server::PASSWORD_MAX_BYTES as u64 + 2)
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        anyhow::bail!(
            "no password on standard input: give it as the first line, e.g. \
             `printf '%s\\n' \"$PASSWORD\" | supine admin add-user NAME --password-stdin`"
        );
    }
    Ok(password.to_owned())
}

fn list_users(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let journal = open_journal(cli)?;
    let accounts = journal.accounts()?;
    let mut out = io::stdout().lock();
    if json {
        let list: Vec<serde_json::Value> = accounts
            .iter()
            .map(|a| {
                Ok(serde_json::json!({
                    "name": a.name,
                    "role": a.role,
                    "created_at": a.created_at,
                    "profile": a.profile,
                    "follows": journal.people_of(&a.name)?,
                    "followed_by": journal.clinicians_of(&a.name)?,
                }))
            })
            .collect::<anyhow::Result<_>>()?;
        writeln!(out, "{}", serde_json::Value::Array(list))?;
        return Ok(());
    }
    if accounts.is_empty() {
        writeln!(
            out,
            "no accounts yet; add one with `supine admin add-user NAME`"
        )?;
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    writeln!(
        out,
        "{:width$}  {:9}  {:7}  added",
        "name", "role", "journal"
    )?;
    for a in &accounts {
        let name = term_text::show_lines(&a.name);
        writeln!(
            out,
            "{name:width$}  {:9}  {:7}  {}",
            a.role.as_str(),
            if a.profile.is_some() { "own" } else { "shared" },
            a.created_at
        )?;
    }
    for a in &accounts {
        let people = journal.people_of(&a.name)?;
        if !people.is_empty() {
            let people: Vec<String> = people
                .iter()
                .map(|p| term_text::show_lines(p).to_string())
                .collect();
            writeln!(
                out,
                "{} follows {}",
                term_text::show_lines(&a.name),
                people.join(", ")
            )?;
        }
    }
    for i in journal.open_invitations(&now())? {
        writeln!(
            out,
            "{} is invited ({}), until {}",
            term_text::show_lines(&i.name),
            i.role,
            i.expires_at
        )?;
    }
    Ok(())
}

fn remove_user(cli: &Cli, name: &str) -> anyhow::Result<()> {
    let mut journal = open_journal(cli)?;
    let accounts = journal.accounts()?;
    let Some(account) = accounts.iter().find(|a| a.name == name) else {
        anyhow::bail!(
            "there is no account called {:?}; `supine admin list-users` lists them",
            term_text::show_lines(name)
        );
    };
    let admins = accounts.iter().filter(|a| a.role == Role::Admin).count();
    if account.role == Role::Admin && admins == 1 && accounts.len() > 1 {
        anyhow::bail!(
            "{:?} is the last admin, and other accounts would be left with no one to manage them; \
             add another admin first (`supine admin add-user NAME --role admin`)",
            term_text::show_lines(name)
        );
    }
    journal.remove_account(name)?;
    writeln!(
        io::stdout().lock(),
        "removed {}; any page signed in as them is signed out at its next request",
        term_text::show_lines(name)
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        let read = |s: &str| read_password_line(&mut s.as_bytes());
        assert_eq!(read("hunter22\n").unwrap(), "hunter22");
        assert_eq!(read("hunter22\r\nmore\n").unwrap(), "hunter22");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert_eq!(read(" spaces kept \n").unwrap(), " spaces kept ");
        assert!(read("\n").is_err());
        assert!(read("").is_err());
    }
}
