//! A minimal progress bar on stderr, shown only when stderr is a terminal.

use std::io::{IsTerminal, Write};

/// Draws `[#####     ] done/total name` on stderr, rewriting the line.
pub struct Progress {
    total: usize,
    done: usize,
    enabled: bool,
}

impl Progress {
    /// A bar for `total` items; enabled when there is more than one item and stderr is a TTY.
    pub fn new(total: usize) -> Self {
        Progress {
            total,
            done: 0,
            enabled: total > 1 && std::io::stderr().is_terminal(),
        }
    }

    /// Marks one more item as done.
    pub fn tick(&mut self, name: &str) {
        self.done += 1;
        if !self.enabled {
            return;
        }
        let width = 30;
        let filled = width * self.done / self.total.max(1);
        let name: String = name
            .chars()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {}/{} {:<40}",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.done,
            self.total,
            name
        );
        if self.done == self.total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
