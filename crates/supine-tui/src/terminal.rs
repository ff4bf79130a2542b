//! Taking over the terminal and always giving it back: on return, on error and on panic.

use std::io::{self, Stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is currently taken over (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Puts the terminal back as it was, once: raw mode off, main screen, cursor shown.
fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let screen = execute!(io::stdout(), LeaveAlternateScreen, Show);
    raw.and(screen)
}

/// The terminal, taken over for as long as this lives.
pub(crate) struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    previous_hook: Option<Hook>,
}

impl TerminalGuard {
    /// Installs a panic hook that restores the terminal before the panic message is printed,
    /// then enters raw mode and the alternate screen.
    pub(crate) fn enter() -> io::Result<TerminalGuard> {
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        let previous: Hook = Arc::from(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            chained(info);
        }));
        // From here on the guard exists, so an error below still restores everything.
        let guard = TerminalGuard {
            terminal,
            previous_hook: Some(previous),
        };
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        // Cleared directly: `Terminal::clear` would first ask the terminal where its cursor is,
        // which is slow over a remote link and not needed on a fresh screen.
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            Hide,
            Clear(ClearType::All)
        )?;
        Ok(guard)
    }

    /// The terminal to draw on.
    pub(crate) fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }

    /// Gives the terminal back, reporting any error.
    pub(crate) fn leave(mut self) -> io::Result<()> {
        let result = restore();
        self.put_back_hook();
        result
    }

    fn put_back_hook(&mut self) {
        // Changing the hook while panicking would abort; the process is going down anyway.
        if std::thread::panicking() {
            return;
        }
        if let Some(previous) = self.previous_hook.take() {
            let _ = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
        self.put_back_hook();
    }
}
