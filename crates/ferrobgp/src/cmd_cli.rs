//! `ferrobgp cli`.

/// Arguments of `ferrobgp cli`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (placeholder until the owning crate lands).
    pub rest: Vec<String>,
}

pub fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("'cli' is not built yet".into())
}
