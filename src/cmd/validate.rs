use anyhow::Result;
use dockmaster_sim::scenario;
use std::process::ExitCode;

pub fn run(a: &super::ScenarioArgs) -> Result<ExitCode> {
    let s = match a.load() {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    println!("{}", scenario::describe(&s));
    print!("{}", dockmaster_sim::cpu::budget(&s));
    Ok(ExitCode::SUCCESS)
}
