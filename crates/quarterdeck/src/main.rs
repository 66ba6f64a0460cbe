//! `quarterdeck`: parse the command line and dispatch. Everything else lives in `cli/`.
#![forbid(unsafe_code)]

mod cli;
mod config;
mod demo;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the whole chain of causes: "error: opening the database: …: …".
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
