//! The family modules against ExaBGP's functional test data: every NLRI of VPLS, MVPN and
//! MUP in the `raw:` lines of the `.ci` files parses into the owned type, and the UPDATE
//! rebuilt from those owned values is byte-identical to what ExaBGP sent. The data is read
//! in place from the shared conformance folder (ExaBGP's BSD-licensed test data).

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use ferrobgp_wire::bgpls::BgpLs;
use ferrobgp_wire::evpn::Evpn;
use ferrobgp_wire::mup::Mup;
use ferrobgp_wire::mvpn::Mvpn;
use ferrobgp_wire::prefix_sid::PrefixSid;
use ferrobgp_wire::srpolicy::{SrPolicy, TunnelEncapsulation};
use ferrobgp_wire::vpls::Vpls;
use ferrobgp_wire::*;

fn conformance_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/exabgp");
    d.is_dir().then_some(d)
}

/// Parse into the family's owned type and back to an `Nlri` built from it.
fn through_owned(family: Family, n: &Nlri) -> Option<Nlri> {
    match family.safi {
        Safi::VPLS => Some(Vpls::from_nlri(n)?.to_nlri()),
        Safi::MCAST_VPN => Mvpn::from_nlri(n)?.to_nlri(family.afi),
        Safi::MUP => Mup::from_nlri(n)?.to_nlri(family.afi),
        Safi::EVPN => Evpn::from_nlri(n)?.to_nlri(),
        Safi::BGP_LS => BgpLs::from_nlri(n)?.to_nlri(),
        Safi::SR_POLICY => Some(SrPolicy::from_nlri(n)?.to_nlri()),
        _ => None,
    }
}

fn is_ours(f: Family) -> bool {
    matches!(
        f.safi,
        Safi::VPLS | Safi::MCAST_VPN | Safi::MUP | Safi::EVPN | Safi::BGP_LS | Safi::SR_POLICY
    )
}

#[test]
fn ci_family_updates_rebuild_from_owned_types() {
    let Some(dir) = conformance_dir() else {
        eprintln!("conformance folder absent: skipping");
        return;
    };
    let ctx = SessionContext {
        asn4: true,
        extended_message: true,
        ..Default::default()
    };
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for sub in ["encoding", "api"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ci"))
            .collect();
        files.sort();
        for p in files {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, line) in text.lines().enumerate() {
                let mut parts = line.splitn(3, ':');
                let (Some(_), Some("raw"), Some(h)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let h: String = h.chars().filter(|c| c.is_ascii_hexdigit()).collect();
                let bytes = hex::decode(h).unwrap();
                let Ok(Message::Update(u)) = decode_message(Bytes::from(bytes.clone()), &ctx)
                else {
                    continue;
                };
                let mut owned = u.to_update();
                let fam = owned
                    .announced
                    .iter()
                    .chain(&owned.withdrawn)
                    .map(|(f, _)| *f)
                    .find(|f| is_ours(*f));
                let has_attr = owned.attributes.unknown.iter().any(|a| {
                    a.code == ferrobgp_wire::prefix_sid::PREFIX_SID
                        || a.code == ferrobgp_wire::srpolicy::TUNNEL_ENCAPSULATION
                });
                let fam = match (fam, has_attr) {
                    (Some(f), _) => f.to_string(),
                    (None, true) => "attributes".to_string(),
                    (None, false) => continue,
                };
                let e = counts.entry(format!("{name} {fam}")).or_default();
                e.1 += 1;
                let mut ok = true;
                for (f, n) in owned.announced.iter_mut().chain(owned.withdrawn.iter_mut()) {
                    if !is_ours(*f) {
                        continue;
                    }
                    match through_owned(*f, n) {
                        Some(again) => *n = again,
                        None => {
                            ok = false;
                            failures.push(format!("{name}:{}: {n:?} does not parse", i + 1));
                        }
                    }
                }
                for a in owned.attributes.unknown.iter_mut() {
                    if a.code == ferrobgp_wire::prefix_sid::PREFIX_SID {
                        match PrefixSid::parse(&a.value).and_then(|p| p.to_attribute()) {
                            Some(again) => *a = again,
                            None => {
                                ok = false;
                                failures.push(format!("{name}:{}: prefix-sid", i + 1));
                            }
                        }
                    }
                    if a.code == ferrobgp_wire::srpolicy::TUNNEL_ENCAPSULATION {
                        match TunnelEncapsulation::parse(&a.value).and_then(|t| t.to_attribute()) {
                            Some(again) => *a = again,
                            None => {
                                ok = false;
                                failures.push(format!("{name}:{}: tunnel encapsulation", i + 1));
                            }
                        }
                    }
                }
                let mut out = BytesMut::new();
                encode_update(&owned, &ctx, &mut out);
                if ok && out[..] == bytes[..] {
                    e.0 += 1;
                } else if ok {
                    failures.push(format!(
                        "{name}:{}\n  want {}\n  got  {}",
                        i + 1,
                        hex::encode_upper(&bytes),
                        hex::encode_upper(&out)
                    ));
                }
            }
        }
    }
    for (k, (m, t)) in &counts {
        eprintln!("  {k:<40} {m}/{t}");
    }
    assert!(!counts.is_empty());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
