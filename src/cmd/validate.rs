use anyhow::Result;
use dockmaster_sim::scenario;
use std::path::Path;
use std::process::ExitCode;

pub fn run(file: &Path) -> Result<ExitCode> {
    match scenario::load(file) {
        Ok(s) => {
            println!("{}", scenario::describe(&s));
            print!("{}", dockmaster_sim::cpu::budget(&s));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            // One line per problem, already naming file, path, value and
            // what is allowed.
            eprintln!("{e}");
            Ok(ExitCode::from(2))
        }
    }
}
