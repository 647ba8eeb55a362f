//! `ferrobgp validate`.

/// Arguments of `ferrobgp validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (placeholder until the owning crate lands).
    pub rest: Vec<String>,
}

pub fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("'validate' is not built yet".into())
}
