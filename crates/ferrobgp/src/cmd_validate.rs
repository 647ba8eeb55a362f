//! `ferrobgp validate`: parse configuration files, check them, print a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrobgp_config::{Auto, Config, ConfigError, Neighbor};

/// Arguments of `ferrobgp validate`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  ferrobgp validate etc/ferrobgp/demo.conf\n  ferrobgp validate -n -r /etc/exabgp/exabgp.conf"
)]
pub struct Args {
    /// Configuration files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print each neighbor's settings.
    #[arg(short = 'n', long = "neighbors")]
    pub neighbors: bool,
    /// Print each static route.
    #[arg(short = 'r', long = "routes")]
    pub routes: bool,
    /// More detail (warnings and every family).
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

/// Problems found after parsing: errors make validation fail, warnings are printed.
#[derive(Default)]
struct Findings {
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// The API command whose words an `operational { … }` statement is.
const OPERATIONAL_PREFIX: &str = "announce operational ";

fn at(file: &str, n: &Neighbor) -> String {
    format!(
        "{file}:{}:{}: neighbor {}",
        n.pos.line, n.pos.column, n.address
    )
}

/// Looks a process program up as ExaBGP does: as given, next to the config file, then $PATH.
fn program_exists(prog: &str, config_dir: &Path) -> bool {
    let p = Path::new(prog);
    if p.is_absolute() {
        return p.exists();
    }
    if config_dir.join(p).exists() || Path::new("/etc/exabgp").join(p).exists() {
        return true;
    }
    if prog.contains('/') {
        return p.exists();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(prog).exists()))
        .unwrap_or(false)
}

fn check(file: &str, config: &Config) -> Findings {
    let mut f = Findings::default();
    let dir = config
        .source
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .to_path_buf();
    for p in &config.processes {
        if let Some(prog) = p.run.first() {
            if !program_exists(prog, &dir) {
                f.warnings.push(format!(
                    "{file}:{}:{}: process {}: program '{prog}' not found (looked next to the configuration and in $PATH)",
                    p.pos.line, p.pos.column, p.name
                ));
            }
        }
    }
    for n in &config.neighbors {
        let here = at(file, n);
        if n.peer_as.is_none() {
            f.errors.push(format!("{here}: peer-as is missing"));
        }
        if n.local_as.is_none() {
            f.errors.push(format!("{here}: local-as is missing"));
        }
        if n.effective_router_id().is_none() {
            f.errors.push(format!(
                "{here}: router-id is missing and cannot be derived (set router-id or an IPv4 local-address)"
            ));
        }
        for api in &n.api {
            for name in &api.processes {
                if config.process(name).is_none() {
                    f.errors.push(format!(
                        "{file}:{}:{}: api names process '{name}', which is not defined",
                        api.pos.line, api.pos.column
                    ));
                }
            }
        }
        for r in &n.routes {
            if !n.families.contains(&r.family) {
                f.errors.push(format!(
                    "{file}:{}:{}: route of family {} but neighbor {} does not list that family",
                    r.pos.line, r.pos.column, r.family, n.address
                ));
            }
            if r.flow.is_none()
                && !r.withdraw
                && r.attributes.next_hop.is_none()
                && !r.next_hop_self
                && r.family != ferrobgp_wire::model::Family::L2VPN_VPLS
            {
                f.errors.push(format!(
                    "{file}:{}:{}: route has no next-hop",
                    r.pos.line, r.pos.column
                ));
            }
        }
        for st in &n.operational {
            // The API's `announce operational` grammar, as the daemon reads the block.
            match ferrobgp_api::command::parse_command(&format!("{OPERATIONAL_PREFIX}{}", st.text))
            {
                Ok(ferrobgp_api::command::Command::Operational { message, .. }) => {
                    if !n.capability.operational {
                        f.warnings.push(format!(
                            "{file}:{}:{}: operational message not sent: the neighbor has no `capability {{ operational; }}`",
                            st.pos.line, st.pos.column
                        ));
                    } else if !n.families.contains(&message.family) {
                        f.warnings.push(format!(
                            "{file}:{}:{}: operational message for {} not sent: neighbor {} does not list that family",
                            st.pos.line, st.pos.column, message.family, n.address
                        ));
                    }
                }
                Ok(_) => f.errors.push(format!(
                    "{file}:{}:{}: not an operational message",
                    st.pos.line, st.pos.column
                )),
                Err(e) => {
                    // The error's column counts in the API line built above.
                    let at = st.pos_at(e.column().saturating_sub(1 + OPERATIONAL_PREFIX.len()));
                    let why = e.to_string();
                    let why = why.split_once(": ").map_or(why.as_str(), |(_, w)| w);
                    f.errors.push(format!(
                        "{file}:{}:{}: operational: {why}",
                        at.line, at.column
                    ))
                }
            }
        }
        for u in &n.unsupported_routes {
            if !n.families.contains(&u.family) {
                f.errors.push(format!(
                    "{file}:{}:{}: route of family {} but neighbor {} does not list that family",
                    u.pos.line, u.pos.column, u.family, n.address
                ));
            }
            f.warnings.push(format!(
                "{file}:{}:{}: {} routes are parsed but not announced yet",
                u.pos.line, u.pos.column, u.family
            ));
        }
    }
    f
}

fn asn(a: Option<Auto<u32>>) -> String {
    match a {
        None => "-".into(),
        Some(Auto::Auto) => "auto".into(),
        Some(Auto::Value(v)) => v.to_string(),
    }
}

fn summary(file: &str, config: &Config, args: &Args) {
    let routes: usize = config
        .neighbors
        .iter()
        .map(|n| n.routes.iter().map(|r| r.nlri.len().max(1)).sum::<usize>())
        .sum();
    let unsupported: usize = config
        .neighbors
        .iter()
        .map(|n| n.unsupported_routes.len())
        .sum();
    println!(
        "{file}: ok: {} neighbor(s), {} process(es), {routes} route(s){}",
        config.neighbors.len(),
        config.processes.len(),
        if unsupported > 0 {
            format!(", {unsupported} not yet announceable")
        } else {
            String::new()
        }
    );
    for n in &config.neighbors {
        let mut per_family: BTreeMap<String, usize> = BTreeMap::new();
        for r in &n.routes {
            *per_family.entry(r.family.to_string()).or_default() += r.nlri.len().max(1);
        }
        for u in &n.unsupported_routes {
            *per_family.entry(u.family.to_string()).or_default() += 1;
        }
        let fams = if n.families_configured || args.verbose {
            n.families
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "all (no family block)".into()
        };
        println!(
            "  neighbor {} local-as {} peer-as {} router-id {}\n    families: {fams}",
            n.address,
            asn(n.local_as),
            asn(n.peer_as),
            n.effective_router_id()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
        );
        if !per_family.is_empty() {
            let s: Vec<String> = per_family
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            println!("    routes: {}", s.join(", "));
        }
        if args.neighbors {
            println!(
                "    hold-time {} passive {} group-updates {} auto-flush {} manual-eor {}",
                n.hold_time, n.passive, n.group_updates, n.auto_flush, n.manual_eor
            );
            // ExaBGP keeps the Adj-RIB-Out when route refresh is offered, whatever is written.
            let forced = !n.adj_rib_out && n.capability.route_refresh;
            println!(
                "    adj-rib-in {} adj-rib-out {}{}",
                n.adj_rib_in,
                n.adj_rib_out || forced,
                if forced {
                    " (adj-rib-out false overridden: route-refresh needs it)"
                } else {
                    ""
                }
            );
            println!("    capability {:?}", n.capability);
            if !n.inherit.is_empty() {
                println!("    inherit {}", n.inherit.join(" "));
            }
            let procs: Vec<&str> = n.api_processes().collect();
            if !procs.is_empty() {
                println!("    api processes {}", procs.join(" "));
            }
        }
        if args.routes {
            for r in &n.routes {
                println!("    route {} {r}", r.family);
            }
            for u in &n.unsupported_routes {
                println!("    route {} {} (not announced yet)", u.family, u.text);
            }
        }
    }
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut failed = 0;
    for path in &args.files {
        let file = path.display().to_string();
        let config = match ferrobgp_config::parse_file(path) {
            Ok(c) => c,
            Err(e @ (ConfigError::Io { .. } | ConfigError::Parse { .. })) => {
                eprintln!("{e}");
                failed += 1;
                continue;
            }
        };
        let findings = check(&file, &config);
        if args.verbose || !findings.errors.is_empty() {
            for w in &findings.warnings {
                eprintln!("warning: {w}");
            }
        }
        for e in &findings.errors {
            eprintln!("{e}");
        }
        if !findings.errors.is_empty() {
            failed += 1;
            continue;
        }
        summary(&file, &config, &args);
    }
    if failed > 0 {
        return Err(format!("{failed} configuration file(s) failed validation").into());
    }
    Ok(())
}
