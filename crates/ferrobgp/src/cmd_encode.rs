//! `ferrobgp encode "<route>"`: a route in command syntax to the hex of the UPDATE(s) a
//! session would send, like ExaBGP's `exabgp encode`. The work is done by
//! `ferrobgp_api::encode` (shared route grammar, wire crate's `UpdateBuilder`).

use ferrobgp_api::encode::{encode_route, hex_upper, EncodeOptions};
use ferrobgp_wire::Family;

/// Arguments of `ferrobgp encode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The route, e.g. "route 10.0.0.0/24 next-hop 1.2.3.4" (also "announce route …",
    /// "ipv6 unicast …", "flow route …", "withdraw route …", "eor ipv4 unicast").
    pub route: Vec<String>,
    /// Address families negotiated, e.g. "ipv4 unicast ipv6 unicast".
    #[arg(short = 'f', long = "family", default_value = "ipv4 unicast")]
    pub family: String,
    /// Local AS number.
    #[arg(short = 'a', long = "local-as", default_value_t = 65533)]
    pub local_as: u32,
    /// Peer AS number.
    #[arg(short = 'z', long = "peer-as", default_value_t = 65533)]
    pub peer_as: u32,
    /// Enable add-path (RFC 7911) for the families.
    #[arg(short = 'i', long = "path-information")]
    pub path_information: bool,
    /// Output only the NLRI bytes.
    #[arg(short = 'n', long = "nlri-only")]
    pub nlri_only: bool,
    /// Leave out the 19-octet BGP header.
    #[arg(long = "no-header")]
    pub no_header: bool,
}

fn families(text: &str) -> Result<Vec<Family>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err("families provided are invalid".into());
    }
    words
        .chunks(2)
        .map(|p| {
            Family::from_names(&p[0].to_ascii_lowercase(), &p[1].to_ascii_lowercase())
                .ok_or_else(|| format!("unknown family '{} {}'", p[0], p[1]))
        })
        .collect()
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.route.is_empty() {
        return Err("usage: ferrobgp encode \"route 10.0.0.0/24 next-hop 1.2.3.4\"".into());
    }
    let opts = EncodeOptions {
        families: families(&args.family)?,
        local_as: args.local_as,
        peer_as: args.peer_as,
        add_path: args.path_information,
        nlri_only: args.nlri_only,
        no_header: args.no_header,
    };
    let text = args.route.join(" ");
    let messages = encode_route(&text, &opts)?;
    let mut out = String::new();
    for m in &messages {
        out.push_str(&hex_upper(m));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}
