//! `dockmaster report DIR`: re-renders a recording's charts and report.html
//! from its files alone (so a load test recorded elsewhere can be drawn
//! here).

use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, quiet: bool) -> Result<ExitCode> {
    let rendered = dockmaster_reports::html::render_dir(dir)
        .with_context(|| format!("rendering the report of {}", dir.display()))?;
    if !quiet {
        let names: Vec<String> = rendered
            .charts
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        println!(
            "wrote {} and {}/charts/: {}",
            rendered.html.display(),
            dir.display(),
            names.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
