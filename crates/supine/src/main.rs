//! The supine binary. On the `coach` branch only `supine analyze` is wired, by hand, so that its
//! tests and benchmark run; the lead replaces this with the clap wiring in cli.rs at merge.

mod analyze_cmd;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("analyze") => analyze(&args[1..]),
        _ => Err(anyhow::anyhow!(
            "usage: supine analyze INPUT [--model lite|full] [--json] [--annotate DIR] [--fps N]"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

fn analyze(args: &[String]) -> anyhow::Result<()> {
    let (mut input, mut model, mut json, mut annotate, mut fps) = (
        None,
        "full".to_string(),
        false,
        None,
        analyze_cmd::DEFAULT_FPS,
    );
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--model" => model = value()?.clone(),
            "--json" => json = true,
            "--annotate" => annotate = Some(std::path::PathBuf::from(value()?)),
            "--fps" => fps = value()?.parse()?,
            s if input.is_none() && !s.starts_with("--") => {
                input = Some(std::path::PathBuf::from(s))
            }
            s => anyhow::bail!("unexpected argument {s}"),
        }
    }
    let input = input.ok_or_else(|| anyhow::anyhow!("analyze needs an INPUT"))?;
    analyze_cmd::run(&input, &model, json, annotate.as_deref(), fps)
}
