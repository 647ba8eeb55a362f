//! ExaBGP's text encoder for UPDATEs (`encoder text`, reference §3.4), from wire's decoded
//! view: the lines between `update start` and `update end`.
//!
//! ExaBGP 5.0.15 (`reactor/api/response/text.py`, `Attributes._generate_text`) writes, per
//! NLRI: `announced PREFIX[ path-information ID] next-hop NH` then every attribute but
//! NEXT_HOP in code order (` origin igp`, ` as-path [ 1 2 ]`, ` med 5`, ` local-preference
//! 100`, ` atomic-aggregate`, ` aggregator ( ASN:IP )`, ` community X` or `[ X Y ]` sorted,
//! ` originator-id IP`, ` cluster-list …`, ` extended-community …`, ` aigp 0x…`,
//! ` large-community …`, ` extended-community-ipv6 …`, unknown ones as ` attribute [ 0xCC
//! 0xFF 0x… ]`); `withdrawn PREFIX`; `route eor AFI/SAFI (afi safi)` for End-of-RIB. An empty
//! AS_PATH is absent (ExaBGP does not keep it). NLRI other than plain prefixes are written
//! from wire's JSON of the NLRI (ExaBGP's `extensive()` of labeled, VPN and flow routes is not
//! reproduced yet).

use std::fmt::Write as _;
use std::io::Write as _;

use ferrobgp_wire::model::{Nlri, SegmentType};
use ferrobgp_wire::{Family, PathAttributes};

/// ExaBGP's `Communities` repr: one value bare, several sorted inside `[ … ]`, none empty.
fn list<T: Ord + Clone>(out: &mut String, name: &str, items: &[T], show: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, " {name} ");
    if items.len() == 1 {
        out.push_str(&show(&items[0]));
        return;
    }
    let mut sorted = items.to_vec();
    sorted.sort();
    out.push_str("[ ");
    for (i, x) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&show(x));
    }
    out.push_str(" ]");
}

fn community(c: u32) -> String {
    match c {
        0xFFFF_FF01 => "no-export".into(),
        0xFFFF_FF02 => "no-advertise".into(),
        0xFFFF_FF03 => "no-export-subconfed".into(),
        0xFFFF_FF04 => "no-peer".into(),
        0xFFFF_029A => "blackhole".into(),
        c => format!("{}:{}", c >> 16, c & 0xffff),
    }
}

/// The attributes of a received UPDATE as ExaBGP's text encoder writes them after the NLRI:
/// each with a leading space, NEXT_HOP left out (it goes with the NLRI).
pub fn attributes_text(a: &PathAttributes) -> String {
    let mut out = String::new();
    // Attribute codes in order: 1 ORIGIN, 2 AS_PATH, 4 MED, 5 LOCAL_PREF, 6, 7, 8, 9, 10,
    // 16, 25, 26, 32, then the ones not modelled.
    let mut generic: Vec<(u8, String)> = Vec::new();
    if let Some(o) = a.origin {
        let _ = write!(out, " origin {}", o.name());
    }
    if let Some(p) = a.as_path.as_ref().filter(|p| !p.segments.is_empty()) {
        out.push_str(" as-path ");
        for (i, s) in p.segments.iter().enumerate() {
            let (head, tail) = match s.kind {
                SegmentType::Sequence => ("[", "]"),
                SegmentType::Set => ("(", ")"),
                SegmentType::ConfedSequence => ("{(", ")}"),
                SegmentType::ConfedSet => ("{[", "]}"),
            };
            if i > 0 {
                out.push(' ');
            }
            let asns: Vec<String> = s.asns.iter().map(u32::to_string).collect();
            let _ = write!(out, "{head} {} {tail}", asns.join(" "));
        }
    }
    if let Some(m) = a.med {
        let _ = write!(out, " med {m}");
    }
    if let Some(l) = a.local_pref {
        let _ = write!(out, " local-preference {l}");
    }
    if a.atomic_aggregate {
        out.push_str(" atomic-aggregate");
    }
    if let Some(ag) = a.aggregator {
        let _ = write!(out, " aggregator ( {}:{} )", ag.asn, ag.ip);
    }
    list(&mut out, "community", &a.communities, |c| community(*c));
    if let Some(o) = a.originator_id {
        let _ = write!(out, " originator-id {o}");
    }
    list(&mut out, "cluster-list", &a.cluster_list, |c| c.to_string());
    list(
        &mut out,
        "extended-community",
        &a.extended_communities,
        |e| e.to_string(),
    );
    list(
        &mut out,
        "extended-community-ipv6",
        &a.ipv6_extended_communities,
        |e| e.to_string(),
    );
    if let Some(x) = a.aigp {
        let _ = write!(out, " aigp 0x{x:016x}");
    }
    list(&mut out, "large-community", &a.large_communities, |l| {
        format!("{}:{}:{}", l[0], l[1], l[2])
    });
    if let Some(otc) = a.otc {
        // ExaBGP has no name for OTC (35): its generic form.
        generic.push((35, format!(" attribute [ 0x23 0xC0 0x{otc:08x} ]")));
    }
    for u in &a.unknown {
        let mut s = format!(" attribute [ 0x{:02X} 0x{:02X} 0x", u.code, u.flags);
        for b in u.value.iter() {
            let _ = write!(s, "{b:02x}");
        }
        s.push_str(" ]");
        generic.push((u.code, s));
    }
    generic.sort_by_key(|(c, _)| *c);
    for (_, s) in generic {
        out.push_str(&s);
    }
    out
}

/// An NLRI as ExaBGP's `extensive()` writes it, without the next hop.
pub fn nlri_text(family: Family, n: &Nlri) -> String {
    match n {
        Nlri::Prefix { prefix, path_id } => match path_id {
            Some(id) => format!(
                "{prefix} path-information {}",
                std::net::Ipv4Addr::from(*id)
            ),
            None => prefix.to_string(),
        },
        _ => {
            let mut v = Vec::new();
            ferrobgp_wire::json::write_nlri(&mut v, family, n);
            String::from_utf8_lossy(&v).into_owned()
        }
    }
}

/// The text encoder's lines for one UPDATE, each `prefix` (`neighbor 127.0.0.1 receive
/// update`) then a space and the line, ending in `\n`.
pub fn write_update_lines(
    prefix: &str,
    attributes: &PathAttributes,
    withdrawn: &[(Family, Nlri)],
    announced: &[(Family, Nlri)],
    end_of_rib: Option<Family>,
    out: &mut Vec<u8>,
) {
    if let Some(f) = end_of_rib {
        let _ = writeln!(
            out,
            "{prefix} route eor {}/{} ({} {})",
            f.afi.0, f.safi.0, f.afi, f.safi
        );
        return;
    }
    // ExaBGP lists the announced NLRI, then the withdrawn ones (`update.nlris`).
    let attrs = if announced.is_empty() {
        String::new()
    } else {
        attributes_text(attributes)
    };
    for (f, n) in announced {
        let _ = write!(out, "{prefix} announced {}", nlri_text(*f, n));
        if let Some(nh) = attributes.next_hop {
            let _ = write!(out, " next-hop {nh}");
        }
        out.extend_from_slice(attrs.as_bytes());
        out.push(b'\n');
    }
    for (f, n) in withdrawn {
        let _ = writeln!(out, "{prefix} withdrawn {}", nlri_text(*f, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrobgp_wire::model::{Aggregator, AsPath, AsSegment, Origin, RawAttribute};

    fn prefix(p: &str) -> (Family, Nlri) {
        (
            Family::IPV4_UNICAST,
            Nlri::Prefix {
                prefix: p.parse().unwrap(),
                path_id: None,
            },
        )
    }

    #[test]
    fn exabgp_default_route_line() {
        // The UPDATE ExaBGP's test peer sends (api-check): ORIGIN IGP, an empty AS_PATH,
        // NEXT_HOP 127.0.0.1, LOCAL_PREF 100.
        let a = PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath { segments: vec![] }),
            next_hop: Some("127.0.0.1".parse().unwrap()),
            local_pref: Some(100),
            ..Default::default()
        };
        let mut out = Vec::new();
        write_update_lines(
            "neighbor 127.0.0.1 receive update",
            &a,
            &[],
            &[prefix("0.0.0.0/32")],
            None,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "neighbor 127.0.0.1 receive update announced 0.0.0.0/32 next-hop 127.0.0.1 \
             origin igp local-preference 100\n"
        );
    }

    #[test]
    fn every_attribute_in_code_order() {
        let a = PathAttributes {
            origin: Some(Origin::Egp),
            as_path: Some(AsPath {
                segments: vec![
                    AsSegment {
                        kind: SegmentType::Sequence,
                        asns: vec![1, 2],
                    },
                    AsSegment {
                        kind: SegmentType::Set,
                        asns: vec![3],
                    },
                ],
            }),
            med: Some(5),
            local_pref: Some(200),
            atomic_aggregate: true,
            aggregator: Some(Aggregator {
                asn: 65000,
                ip: "10.0.0.1".parse().unwrap(),
            }),
            communities: vec![0xFFFF_FF01, 65000 << 16 | 1],
            originator_id: Some("1.1.1.1".parse().unwrap()),
            cluster_list: vec!["2.2.2.2".parse().unwrap()],
            aigp: Some(10),
            large_communities: vec![[1, 2, 3]],
            unknown: vec![RawAttribute {
                flags: 0xC0,
                code: 99,
                value: bytes::Bytes::from_static(&[0xab, 0x01]),
            }],
            ..Default::default()
        };
        assert_eq!(
            attributes_text(&a),
            " origin egp as-path [ 1 2 ] ( 3 ) med 5 local-preference 200 atomic-aggregate \
             aggregator ( 65000:10.0.0.1 ) community [ 65000:1 no-export ] originator-id 1.1.1.1 \
             cluster-list 2.2.2.2 aigp 0x000000000000000a large-community 1:2:3 \
             attribute [ 0x63 0xC0 0xab01 ]"
        );
    }

    #[test]
    fn withdrawn_and_eor() {
        let mut out = Vec::new();
        let p = "neighbor 10.0.0.1 receive update";
        write_update_lines(
            p,
            &PathAttributes::default(),
            &[prefix("10.0.0.0/8")],
            &[],
            None,
            &mut out,
        );
        write_update_lines(
            p,
            &PathAttributes::default(),
            &[],
            &[],
            Some(Family::IPV4_UNICAST),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "neighbor 10.0.0.1 receive update withdrawn 10.0.0.0/8\n\
             neighbor 10.0.0.1 receive update route eor 1/1 (ipv4 unicast)\n"
        );
    }
}
