//! The `cadfeat` command-line tool. See `cadfeat --help` and the README.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
