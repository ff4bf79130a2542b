//! `supine completions` and `supine man`: the scripts load in their shell and the manual page
//! renders, each naming every command.

use std::process::Command;

use crate::cli::{Home, stderr, stdout};

/// Every command a user can type, as `supine help` lists them (clap's own `help` aside).
fn subcommands(home: &Home) -> Vec<String> {
    let o = home.run(&["--help"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let list = text
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("--help lists the commands");
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 15, "{names:?}");
    names
}

#[test]
fn bash_completion_loads_and_completes_every_command() {
    let home = Home::new();
    let o = home.run(&["completions", "bash"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = home.path().join("supine.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    // Loads the script as a user's ~/.bashrc would, then asks bash what it would offer after
    // `supine ` and after `supine ex`.
    let probe = format!(
        "source {}; complete -p supine; \
         COMP_WORDS=(supine ''); COMP_CWORD=1; COMP_LINE='supine '; COMP_POINT=7; \
         _supine supine '' supine; printf 'offer %s\\n' \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(supine ex); COMP_CWORD=1; COMP_LINE='supine ex'; COMP_POINT=9; \
         _supine supine ex supine; printf 'ex %s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines().next().unwrap_or("").starts_with("complete ") && text.contains(" supine\n"),
        "complete -p names no completion for supine:\n{text}"
    );
    for name in subcommands(&home) {
        assert!(
            text.contains(&format!("offer {name}\n")),
            "bash does not offer {name}:\n{text}"
        );
    }
    let ex: Vec<&str> = text.lines().filter(|l| l.starts_with("ex ")).collect();
    assert_eq!(ex, ["ex export"], "{text}");
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    let home = Home::new();
    for shell in ["zsh", "fish"] {
        let o = home.run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        for name in subcommands(&home) {
            let named = match shell {
                "fish" => text.contains(&format!("-a \"{name}\"")),
                _ => text.contains(&format!("'{name}:")),
            };
            assert!(named, "the {shell} script does not offer {name}:\n{text}");
        }
    }
    let o = home.run(&["completions", "powershell"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bash"), "{}", stderr(&o));
}

/// The page's section headings (`.SH NAME` ...), in order.
fn sections(roff: &str) -> Vec<&str> {
    roff.lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|s| s.trim_matches('"'))
        .collect()
}

#[test]
fn man_page_renders_and_lists_every_command() {
    let home = Home::new();
    let o = home.run(&["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let roff = stdout(&o);
    assert!(roff.starts_with(".ie") || roff.starts_with(".TH"), "{roff}");
    assert!(roff.contains(".TH supine 1"), "{roff}");
    let found = sections(&roff);
    for want in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "VERSION",
    ] {
        assert!(found.contains(&want), "no {want} section in {found:?}");
    }
    // Rendered as a reader sees it, when man is installed.
    let page = home.path().join("supine.1");
    std::fs::write(&page, roff.as_bytes()).unwrap();
    let rendered = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(&page)
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8")
        .output();
    let shown = match rendered {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
        _ => {
            eprintln!("man -l is not available here: checking the roff source only");
            roff.replace("\\-", "-")
        }
    };
    assert!(shown.contains("Guided lying-down yoga"), "{shown}");
    for name in subcommands(&home) {
        assert!(
            shown.contains(&format!("supine-{name}(1)")),
            "the man page does not list {name}:\n{shown}"
        );
    }
}

#[test]
fn man_out_writes_one_page_per_command() {
    let home = Home::new();
    let dir = home.path().join("man/man1");
    let o = home.run(&["man", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut want = vec!["supine.1".to_owned()];
    want.extend(subcommands(&home).iter().map(|n| format!("supine-{n}.1")));
    for name in &want {
        let page = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
        assert!(sections(&page).contains(&"NAME"), "{name}:\n{page}");
        assert!(stderr(&o).contains(name), "{}", stderr(&o));
    }
    let export = std::fs::read_to_string(dir.join("supine-export.1")).unwrap();
    assert!(export.contains("csv, json or fhir"), "{export}");
}
