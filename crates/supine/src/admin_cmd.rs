//! `supine admin`: the accounts that may sign in to `supine serve` beyond 127.0.0.1. Passwords
//! are read without echo (or from standard input with `--password-stdin`) and stored only as
//! Argon2id hashes (`supine_server::hash_password`).

use std::io::{self, BufRead, Write};

use anyhow::Context;
use supine_store::{Account, Role};

use crate::cli::{AdminCommand, Cli, RoleArg};
use crate::practice::{now, open_journal};
use crate::term_text;

/// `supine admin ...`.
pub fn admin(cli: &Cli, command: &AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::AddUser {
            name,
            role,
            password_stdin,
        } => add_user(cli, name, *role, *password_stdin),
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

fn add_user(
    cli: &Cli,
    name: &str,
    role: Option<RoleArg>,
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
    let added = journal.add_account(&Account {
        name: name.to_owned(),
        password_hash,
        role,
        created_at: now(),
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
        "added {} ({role}). They sign in on the page of `supine serve --listen ADDRESS`.",
        term_text::show_lines(name)
    )?;
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
            .map(|a| serde_json::json!({ "name": a.name, "role": a.role, "created_at": a.created_at }))
            .collect();
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
    writeln!(out, "{:width$}  {:9}  added", "name", "role")?;
    for a in &accounts {
        let name = term_text::show_lines(&a.name);
        writeln!(
            out,
            "{name:width$}  {:9}  {}",
            a.role.as_str(),
            a.created_at
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
