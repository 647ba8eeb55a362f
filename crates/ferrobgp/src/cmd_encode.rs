//! `ferrobgp encode`.

/// Arguments of `ferrobgp encode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Arguments (placeholder until the owning crate lands).
    pub rest: Vec<String>,
}

pub fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("'encode' is not built yet".into())
}
