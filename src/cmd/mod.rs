//! The commands: each one loads its inputs, calls the libraries, writes
//! files and chooses the exit status.

pub mod compare;
pub mod loadtest;
pub mod report;
pub mod simulate;
pub mod testbed;
pub mod validate;

/// The error chain as lines, without Rust's debug dump.
pub fn render_error(e: &anyhow::Error) -> String {
    let mut s = format!("error: {e}");
    for cause in e.chain().skip(1) {
        s.push_str(&format!("\n  caused by: {cause}"));
    }
    s
}
