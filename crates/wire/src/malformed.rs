//! Malformed input: a test per NOTIFICATION subcode and per RFC 7606 action, truncated
//! frames, lengths and flags that lie. Expected values come from the RFCs.

use bytes::Bytes;

use crate::error::{Action, ErrorKind};
use crate::message::{decode_message, frame, Message};
use crate::model::{notif, SessionContext};
use crate::update::UpdateView;
use crate::{check_open, decode_notification, Family};

fn ctx4() -> SessionContext {
    SessionContext {
        asn4: true,
        ..Default::default()
    }
}

fn msg(t: u8, body: &[u8]) -> Bytes {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    m.push(t);
    m.extend_from_slice(body);
    Bytes::from(m)
}

fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Bytes {
    let mut b = Vec::new();
    b.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(attrs);
    b.extend_from_slice(nlri);
    msg(2, &b)
}

const ORIGIN: &[u8] = &[0x40, 1, 1, 0];
const AS_PATH: &[u8] = &[0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe8];
const NEXT_HOP: &[u8] = &[0x40, 3, 4, 10, 0, 0, 1];
const NLRI: &[u8] = &[24, 192, 0, 2];

fn attrs(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn problems(m: Bytes) -> (UpdateView, Vec<(ErrorKind, u8, Action)>) {
    let v = UpdateView::parse(m, &ctx4()).expect("no session reset");
    let p = v
        .problems()
        .iter()
        .map(|e| (e.kind, e.attr, e.action))
        .collect();
    (v, p)
}

fn subcode_of(m: &Bytes) -> (u8, u8) {
    let e = match decode_message(m.clone(), &ctx4()) {
        Err(e) => e,
        Ok(Message::Update(u)) => u.problems()[0],
        Ok(m) => panic!("decoded: {m:?}"),
    };
    e.code_subcode().unwrap()
}

#[test]
fn well_formed_update_has_no_problems() {
    let (v, p) = problems(update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]), NLRI));
    assert!(p.is_empty());
    assert!(!v.treat_as_withdraw());
    assert_eq!(v.as_path().unwrap().segments[0].asns, vec![65000]);
}

// --- Message header errors (RFC 4271 §6.1)

#[test]
fn header_connection_not_synchronized() {
    let mut m = msg(4, &[]).to_vec();
    m[3] = 0;
    let e = frame(&m, 4096).unwrap_err();
    assert_eq!(
        e.code_subcode(),
        Some((
            notif::MESSAGE_HEADER_ERROR,
            notif::CONNECTION_NOT_SYNCHRONIZED
        ))
    );
    // Also found before the header is complete.
    assert!(frame(&m[..10], 4096).is_err());
}

#[test]
fn header_bad_length() {
    // KEEPALIVE of 20 octets; OPEN below 29; UPDATE above 4096 without extended message.
    let mut ka = msg(4, &[0]).to_vec();
    let e = frame(&ka, 4096).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadMessageLength(20));
    let n = e.notification(&ka).unwrap();
    assert_eq!((n.code, n.subcode), (1, 2));
    assert_eq!(&n.data[..], &[0, 20]);
    ka[17] = 18;
    assert!(matches!(
        frame(&ka, 4096).unwrap_err().kind,
        ErrorKind::BadMessageLength(18)
    ));
    assert!(frame(&msg(1, &[0; 9]), 4096).is_err());
    let big = update(&[], &[0xc0, 99, 0, 0].repeat(1100), &[]);
    assert!(frame(&big, 4096).is_err());
    assert_eq!(frame(&big, 65535).unwrap(), Some(big.len()));
    // RFC 8654 §4: OPEN is never extended.
    let mut open = msg(1, &[0; 10]).to_vec();
    open[16..18].copy_from_slice(&5000u16.to_be_bytes());
    assert!(frame(&open, 65535).is_err());
    // NOTIFICATION shorter than 21.
    assert!(frame(&msg(3, &[6]), 4096).is_err());
}

#[test]
fn header_bad_type() {
    let m = msg(9, &[]);
    let e = frame(&m, 4096).unwrap_err();
    let n = e.notification(&m).unwrap();
    assert_eq!((n.code, n.subcode, &n.data[..]), (1, 3, &[9u8][..]));
}

#[test]
fn truncated_frames_wait_or_fail_but_never_panic() {
    let m = update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]), NLRI);
    for i in 0..m.len() {
        assert_eq!(frame(&m[..i], 4096).unwrap(), None, "prefix {i}");
        // Decoding a partial message is a length error, not a panic.
        assert!(decode_message(m.slice(..i), &ctx4()).is_err());
    }
    // A 14-byte frame.
    assert_eq!(frame(&[0xff; 14], 4096).unwrap(), None);
    assert!(decode_message(Bytes::from_static(&[0xff; 14]), &ctx4()).is_err());
}

// --- OPEN errors (RFC 4271 §6.2)

fn open_body(version: u8, hold: u16, id: [u8; 4], params: &[u8]) -> Bytes {
    let mut b = vec![version, 0xfd, 0xe8];
    b.extend_from_slice(&hold.to_be_bytes());
    b.extend_from_slice(&id);
    b.push(params.len() as u8);
    b.extend_from_slice(params);
    msg(1, &b)
}

#[test]
fn open_unsupported_version() {
    let m = open_body(3, 90, [1, 2, 3, 4], &[]);
    let e = decode_message(m.clone(), &ctx4()).unwrap_err();
    let n = e.notification(&m).unwrap();
    // RFC 4271 §6.2: data is the largest supported version.
    assert_eq!((n.code, n.subcode, &n.data[..]), (2, 1, &[0u8, 4][..]));
}

#[test]
fn open_unacceptable_hold_time() {
    for h in [1, 2] {
        let m = open_body(4, h, [1, 2, 3, 4], &[]);
        assert_eq!(subcode_of(&m), (2, 6));
    }
    assert!(decode_message(open_body(4, 0, [1, 2, 3, 4], &[]), &ctx4()).is_ok());
}

#[test]
fn open_unsupported_optional_parameter() {
    let m = open_body(4, 90, [1, 2, 3, 4], &[1, 2, 0, 0]);
    assert_eq!(subcode_of(&m), (2, 4));
}

#[test]
fn open_parameter_lengths_that_lie() {
    // Optional parameter length longer than the message.
    let m = open_body(4, 90, [1, 2, 3, 4], &[2, 9, 1, 4, 0, 1]);
    assert_eq!(subcode_of(&m), (2, 0));
    // Capability length longer than its parameter.
    let m = open_body(4, 90, [1, 2, 3, 4], &[2, 4, 1, 6, 0, 1]);
    assert_eq!(subcode_of(&m), (2, 0));
    // Multiprotocol with 3 octets.
    let m = open_body(4, 90, [1, 2, 3, 4], &[2, 5, 1, 3, 0, 1, 0]);
    assert!(matches!(
        decode_message(m, &ctx4()).unwrap_err().kind,
        ErrorKind::MalformedCapability(1)
    ));
}

#[test]
fn open_bad_peer_as_and_identifier() {
    let Message::Open(o) = decode_message(open_body(4, 90, [1, 2, 3, 4], &[]), &ctx4()).unwrap()
    else {
        panic!()
    };
    let local = "9.9.9.9".parse().unwrap();
    assert!(check_open(&o, Some(65000), 65001, local).is_ok());
    let e = check_open(&o, Some(65001), 65001, local).unwrap_err();
    assert_eq!(e.code_subcode(), Some((2, 2)));
    let e = check_open(&o, None, 65000, "1.2.3.4".parse().unwrap()).unwrap_err();
    assert_eq!(e.code_subcode(), Some((2, 3)));
    let Message::Open(o) = decode_message(open_body(4, 90, [0; 4], &[]), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(
        check_open(&o, None, 1, local).unwrap_err().code_subcode(),
        Some((2, 3))
    );
}

#[test]
fn open_rfc9072_extended_parameters() {
    // Non-extended length 255, type 255, 2-octet length, then 2-octet parameter lengths.
    let cap = [1u8, 4, 0, 1, 0, 1];
    let mut p = vec![255, 255];
    p.extend_from_slice(&((3 + cap.len()) as u16).to_be_bytes());
    p.push(2);
    p.extend_from_slice(&(cap.len() as u16).to_be_bytes());
    p.extend_from_slice(&cap);
    let mut b = vec![4, 0xfd, 0xe8, 0, 90, 1, 2, 3, 4];
    b.extend_from_slice(&p);
    let Message::Open(o) = decode_message(msg(1, &b), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(
        o.capabilities,
        vec![crate::Capability::Multiprotocol(Family::IPV4_UNICAST)]
    );
}

// --- UPDATE errors (RFC 4271 §6.3, RFC 7606)

#[test]
fn update_malformed_attribute_list_is_reset() {
    // Withdrawn routes length running past the message.
    let mut m = update(&[], &[], &[]).to_vec();
    m[19..21].copy_from_slice(&100u16.to_be_bytes());
    let e = decode_message(Bytes::from(m), &ctx4()).unwrap_err();
    assert_eq!(e.code_subcode(), Some((3, 1)));
    assert_eq!(e.action, Action::SessionReset);
    // Total attribute length running past the message.
    let mut m = update(&[], ORIGIN, &[]).to_vec();
    m[21..23].copy_from_slice(&100u16.to_be_bytes());
    assert_eq!(subcode_of(&Bytes::from(m)), (3, 1));
}

#[test]
fn update_attribute_overrun_is_treat_as_withdraw() {
    // RFC 7606 §4: an attribute length running past the attributes, NLRI still locatable.
    let (v, p) = problems(update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x80, 4, 9, 0]]),
        NLRI,
    ));
    assert!(v.treat_as_withdraw());
    assert_eq!(p[0].0, ErrorKind::MalformedAttributeList);
}

#[test]
fn update_attribute_flags_error() {
    // ORIGIN marked optional: RFC 7606 §7.1 treat-as-withdraw, subcode 4.
    let m = update(&[], &attrs(&[&[0xc0, 1, 1, 0], AS_PATH, NEXT_HOP]), NLRI);
    let (v, p) = problems(m.clone());
    assert_eq!(
        p,
        vec![(ErrorKind::AttributeFlags, 1, Action::TreatAsWithdraw)]
    );
    assert!(v.treat_as_withdraw());
    let n = v.problems()[0].notification(&m).unwrap();
    assert_eq!((n.code, n.subcode), (3, 4));
    // RFC 4271 §6.3: the data is the erroneous attribute.
    assert_eq!(&n.data[..], &[0xc0, 1, 1, 0]);
    // ATOMIC_AGGREGATE marked optional: discarded, routes kept.
    let (v, p) = problems(update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x80, 6, 0]]),
        NLRI,
    ));
    assert_eq!(
        p,
        vec![(ErrorKind::AttributeFlags, 6, Action::AttributeDiscard)]
    );
    assert!(!v.treat_as_withdraw());
    assert!(!v.atomic_aggregate());
}

#[test]
fn update_attribute_length_error() {
    let (_, p) = problems(update(
        &[],
        &attrs(&[&[0x40, 1, 2, 0, 0], AS_PATH, NEXT_HOP]),
        NLRI,
    ));
    assert!(p.contains(&(ErrorKind::AttributeLength, 1, Action::TreatAsWithdraw)));
    // MED of 3 octets (RFC 7606 §7.4), LOCAL_PREF of 5 (§7.5): treat-as-withdraw.
    for bad in [&[0x80u8, 4, 3, 0, 0, 0][..], &[0x40, 5, 5, 0, 0, 0, 0, 0]] {
        let (v, p) = problems(update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, bad]), NLRI));
        assert_eq!(p[0].0, ErrorKind::AttributeLength);
        assert!(v.treat_as_withdraw());
    }
    // AGGREGATOR of 7 octets: §7.7 attribute discard.
    let (v, p) = problems(update(
        &[],
        &attrs(&[
            ORIGIN,
            AS_PATH,
            NEXT_HOP,
            &[0xc0, 7, 7, 0, 0, 0, 1, 1, 2, 3],
        ]),
        NLRI,
    ));
    assert_eq!(
        p,
        vec![(ErrorKind::AttributeLength, 7, Action::AttributeDiscard)]
    );
    assert!(v.aggregator().is_none());
    // COMMUNITIES of 3 octets: §7.8 treat-as-withdraw.
    let (v, _) = problems(update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0xc0, 8, 3, 0, 0, 1]]),
        NLRI,
    ));
    assert!(v.treat_as_withdraw());
}

#[test]
fn update_invalid_origin() {
    let m = update(&[], &attrs(&[&[0x40, 1, 1, 7], AS_PATH, NEXT_HOP]), NLRI);
    assert_eq!(subcode_of(&m), (3, 6));
    let (v, _) = problems(m);
    assert!(v.treat_as_withdraw());
}

#[test]
fn update_invalid_next_hop() {
    let m = update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, &[0x40, 3, 5, 1, 2, 3, 4, 5]]),
        NLRI,
    );
    assert_eq!(subcode_of(&m), (3, 8));
}

#[test]
fn update_missing_well_known() {
    let m = update(&[], &attrs(&[AS_PATH, NEXT_HOP]), NLRI);
    let (v, p) = problems(m.clone());
    assert_eq!(
        p,
        vec![(
            ErrorKind::MissingWellKnownAttribute(1),
            1,
            Action::TreatAsWithdraw
        )]
    );
    let n = v.problems()[0].notification(&m).unwrap();
    assert_eq!((n.code, n.subcode, &n.data[..]), (3, 3, &[1u8][..]));
    // No NLRI, no requirement (a withdraw-only UPDATE).
    let (_, p) = problems(update(&[8, 10], &[], &[]));
    assert!(p.is_empty());
}

#[test]
fn update_malformed_as_path() {
    // Segment type 9; segment count running past the attribute.
    for bad in [
        &[0x40u8, 2, 6, 9, 1, 0, 0, 0, 1][..],
        &[0x40, 2, 6, 2, 2, 0, 0, 0, 1],
    ] {
        let m = update(&[], &attrs(&[ORIGIN, bad, NEXT_HOP]), NLRI);
        assert_eq!(subcode_of(&m), (3, 11));
        assert!(problems(m).0.treat_as_withdraw());
    }
}

#[test]
fn update_optional_attribute_error() {
    // AIGP TLV with a wrong length (RFC 7311).
    let m = update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x80, 26, 4, 1, 0, 4, 0]]),
        NLRI,
    );
    assert_eq!(subcode_of(&m), (3, 9));
}

#[test]
fn update_invalid_network_field_is_reset() {
    for nlri in [&[33u8, 1, 2, 3, 4, 5][..], &[24, 1]] {
        let m = update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]), nlri);
        let e = decode_message(m, &ctx4()).unwrap_err();
        assert_eq!(e.code_subcode(), Some((3, 10)));
        assert_eq!(e.action, Action::SessionReset);
    }
}

#[test]
fn update_duplicates() {
    // RFC 7606 §3.g: a duplicate attribute is discarded; the first is used.
    let (v, p) = problems(update(
        &[],
        &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, &[0x40, 1, 1, 2]]),
        NLRI,
    ));
    assert_eq!(p[0].2, Action::AttributeDiscard);
    assert_eq!(v.origin(), Some(crate::Origin::Igp));
    // Duplicate MP_UNREACH: session reset.
    let mp = [0x80u8, 15, 3, 0, 2, 1];
    let e = UpdateView::parse(update(&[], &attrs(&[&mp, &mp]), &[]), &ctx4()).unwrap_err();
    assert_eq!(e.action, Action::SessionReset);
}

#[test]
fn update_mp_reach_malformed_is_afi_safi_disable() {
    // IPv6 unicast, next hop length 16, NLRI with a /129.
    let mut mp = vec![0x80, 14, 0, 0, 2, 1, 16];
    mp.extend_from_slice(&[0x20; 16]);
    mp.extend_from_slice(&[0, 129, 0]);
    mp[2] = (mp.len() - 3) as u8;
    let e =
        UpdateView::parse(update(&[], &attrs(&[ORIGIN, AS_PATH, &mp]), &[]), &ctx4()).unwrap_err();
    assert_eq!(e.action, Action::AfiSafiDisable);
    assert_eq!(e.code_subcode(), Some((3, 1)));
    // Next hop length of 5: no known form.
    let mp = [0x80u8, 14, 10, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0];
    let e =
        UpdateView::parse(update(&[], &attrs(&[ORIGIN, AS_PATH, &mp]), &[]), &ctx4()).unwrap_err();
    assert_eq!(e.action, Action::AfiSafiDisable);
}

#[test]
fn update_as4_path_merge_rfc6793() {
    // 2-octet session: AS_PATH [65000 23456 23456], AS4_PATH [70000 80000].
    let ctx = SessionContext::default();
    let as_path = [0x40u8, 2, 8, 2, 3, 0xfd, 0xe8, 0x5b, 0xa0, 0x5b, 0xa0];
    let mut as4 = vec![0xc0u8, 17, 10, 2, 2];
    as4.extend_from_slice(&70000u32.to_be_bytes());
    as4.extend_from_slice(&80000u32.to_be_bytes());
    let m = update(&[], &attrs(&[ORIGIN, &as_path, NEXT_HOP, &as4]), NLRI);
    let v = UpdateView::parse(m, &ctx).unwrap();
    assert_eq!(
        v.as_path().unwrap().segments[0].asns,
        vec![65000, 70000, 80000]
    );
    // Malformed AS4_PATH: discarded (RFC 6793 §6), AS_PATH used as is.
    let bad4 = [0xc0u8, 17, 3, 2, 1, 0];
    let v = UpdateView::parse(
        update(&[], &attrs(&[ORIGIN, &as_path, NEXT_HOP, &bad4]), NLRI),
        &ctx,
    )
    .unwrap();
    assert_eq!(v.problems()[0].action, Action::AttributeDiscard);
    assert_eq!(
        v.as_path().unwrap().segments[0].asns,
        vec![65000, 23456, 23456]
    );
}

// --- NOTIFICATION and ROUTE-REFRESH

#[test]
fn notification_too_short_is_not_answered() {
    let e = decode_notification(&[6]).unwrap_err();
    assert_eq!(e.code_subcode(), None);
    assert!(e.notification(&[]).is_none());
}

#[test]
fn notification_shutdown_communication_rfc9003() {
    let mut body = vec![6, 2, 5];
    body.extend_from_slice(b"maint");
    let Message::Notification(n) = decode_message(msg(3, &body), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(n.shutdown_communication(), Some("maint"));
    assert_eq!(n.code_name(), "Cease");
}

#[test]
fn route_refresh_invalid_length_rfc7313() {
    let m = msg(5, &[0, 1, 1, 1, 0]);
    let e = decode_message(m.clone(), &ctx4()).unwrap_err();
    let n = e.notification(&m).unwrap();
    assert_eq!((n.code, n.subcode), (7, 1));
    let Message::RouteRefresh(r) = decode_message(msg(5, &[0, 2, 1, 1]), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(r.family, Family::IPV6_UNICAST);
    assert_eq!(r.subtype, crate::RouteRefresh::BORR);
    // A normal request followed by ORF entries (RFC 5291) is accepted.
    assert!(decode_message(msg(5, &[0, 1, 0, 1, 1, 0]), &ctx4()).is_ok());
    assert!(decode_message(msg(5, &[0, 1, 0]), &ctx4()).is_err());
}

// --- Session facts: external peer, extended next hop (RFC 7606 §7.3, §7.5, §7.9-7.11,
// RFC 8950)

fn ebgp() -> SessionContext {
    SessionContext {
        asn4: true,
        external: true,
        ..Default::default()
    }
}

fn problems_in(m: Bytes, ctx: &SessionContext) -> (UpdateView, Vec<(ErrorKind, u8, Action)>) {
    let v = UpdateView::parse(m, ctx).expect("no session reset");
    let p = v
        .problems()
        .iter()
        .map(|e| (e.kind, e.attr, e.action))
        .collect();
    (v, p)
}

const LOCAL_PREF: &[u8] = &[0x40, 5, 4, 0, 0, 0, 200];
const ORIGINATOR_ID: &[u8] = &[0x80, 9, 4, 1, 1, 1, 1];
const CLUSTER_LIST: &[u8] = &[0x80, 10, 4, 2, 2, 2, 2];

#[test]
fn local_pref_from_external_peer_is_discarded() {
    let a = attrs(&[ORIGIN, AS_PATH, NEXT_HOP, LOCAL_PREF]);
    // Internal peer: kept.
    let (v, p) = problems_in(update(&[], &a, NLRI), &ctx4());
    assert!(p.is_empty());
    assert_eq!(v.local_pref(), Some(200));
    // External peer: attribute discard, the route stays.
    let (v, p) = problems_in(update(&[], &a, NLRI), &ebgp());
    assert_eq!(
        p,
        vec![(ErrorKind::NotFromExternalPeer, 5, Action::AttributeDiscard)]
    );
    assert!(!v.treat_as_withdraw());
    assert_eq!(v.local_pref(), None);
    assert_eq!(v.to_update().attributes.local_pref, None);
    assert_eq!(v.nlri().count(), 1);
    // Even a malformed one (RFC 7606 §7.5 checks the length for internal peers only).
    let bad_lp: &[u8] = &[0x40, 5, 2, 0, 1];
    let (v, p) = problems_in(
        update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, bad_lp]), NLRI),
        &ebgp(),
    );
    assert_eq!(p[0].2, Action::AttributeDiscard);
    assert!(!v.treat_as_withdraw());
    let (v, _) = problems_in(
        update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP, bad_lp]), NLRI),
        &ctx4(),
    );
    assert!(v.treat_as_withdraw());
}

#[test]
fn route_reflection_attributes_from_external_peer_are_discarded() {
    let a = attrs(&[ORIGIN, AS_PATH, NEXT_HOP, ORIGINATOR_ID, CLUSTER_LIST]);
    let (v, p) = problems_in(update(&[], &a, NLRI), &ebgp());
    assert_eq!(
        p,
        vec![
            (ErrorKind::NotFromExternalPeer, 9, Action::AttributeDiscard),
            (ErrorKind::NotFromExternalPeer, 10, Action::AttributeDiscard),
        ]
    );
    assert_eq!(v.originator_id(), None);
    assert_eq!(v.cluster_list().count(), 0);
    let (v, p) = problems_in(update(&[], &a, NLRI), &ctx4());
    assert!(p.is_empty());
    assert_eq!(v.cluster_list().count(), 1);
}

#[test]
fn next_hop_that_is_no_unicast_host_from_external_peer_is_treat_as_withdraw() {
    for nh in [
        [0, 0, 0, 0],
        [127, 0, 0, 1],
        [224, 0, 0, 5],
        [255, 255, 255, 255],
    ] {
        let next_hop = [&[0x40, 3, 4][..], &nh].concat();
        let a = attrs(&[ORIGIN, AS_PATH, &next_hop]);
        let (v, p) = problems_in(update(&[], &a, NLRI), &ebgp());
        assert_eq!(
            p,
            vec![(ErrorKind::InvalidNextHop, 3, Action::TreatAsWithdraw)],
            "{nh:?}"
        );
        assert!(v.treat_as_withdraw());
        // Internal peer (e.g. a route server's test feed): left alone.
        let (v, p) = problems_in(update(&[], &a, NLRI), &ctx4());
        assert!(p.is_empty() && !v.treat_as_withdraw());
    }
    // A unicast next hop from an external peer is fine.
    let (v, p) = problems_in(
        update(&[], &attrs(&[ORIGIN, AS_PATH, NEXT_HOP]), NLRI),
        &ebgp(),
    );
    assert!(p.is_empty() && !v.treat_as_withdraw());
}

/// MP_REACH_NLRI (RFC 4760 §3) for one IPv4/IPv6 unicast prefix with this next hop.
fn mp_reach(afi: u8, nh: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut v = vec![0, afi, 1, nh.len() as u8];
    v.extend_from_slice(nh);
    v.push(0);
    v.extend_from_slice(nlri);
    let mut a = vec![0x80, 14, v.len() as u8];
    a.extend_from_slice(&v);
    a
}

#[test]
fn mp_reach_next_hop_that_is_no_unicast_host_from_external_peer() {
    let v6_prefix: &[u8] = &[32, 0x20, 0x01, 0x0d, 0xb8];
    let mut mcast = [0u8; 16];
    mcast[0] = 0xff;
    mcast[1] = 0x02;
    mcast[15] = 1;
    let a = attrs(&[ORIGIN, AS_PATH, &mp_reach(2, &mcast, v6_prefix)]);
    let (v, p) = problems_in(update(&[], &a, &[]), &ebgp());
    assert_eq!(
        p,
        vec![(ErrorKind::InvalidNextHop, 14, Action::TreatAsWithdraw)]
    );
    assert!(v.treat_as_withdraw());
    assert_eq!(v.mp_reach().unwrap().nlri.count(), 1);
    let (v, _) = problems_in(update(&[], &a, &[]), &ctx4());
    assert!(!v.treat_as_withdraw());
    // 2001:db8::1 is a unicast host.
    let mut good = [0u8; 16];
    good[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    good[15] = 1;
    let a = attrs(&[ORIGIN, AS_PATH, &mp_reach(2, &good, v6_prefix)]);
    let (v, p) = problems_in(update(&[], &a, &[]), &ebgp());
    assert!(p.is_empty() && !v.treat_as_withdraw());
}

#[test]
fn ipv6_next_hop_for_ipv4_nlri_needs_extended_next_hop() {
    let mut nh = [0u8; 16];
    nh[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    nh[15] = 1;
    let a = attrs(&[ORIGIN, AS_PATH, &mp_reach(1, &nh, NLRI)]);
    // Not negotiated: the length is inconsistent with IPv4 unicast (RFC 7606 §7.11).
    let e = UpdateView::parse(update(&[], &a, &[]), &ctx4()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedMpNlri);
    assert_eq!(e.attr, 14);
    assert_eq!(e.action, Action::AfiSafiDisable);
    // The offset is the next hop length octet: header 19, lengths 4, ORIGIN 4, AS_PATH 9,
    // MP_REACH header 3, AFI/SAFI 3.
    assert_eq!(e.offset as usize, 19 + 4 + 4 + 9 + 3 + 3);
    // Negotiated for IPv4 unicast over IPv6 (RFC 8950 §4): accepted.
    let ctx = SessionContext {
        asn4: true,
        extended_next_hop: vec![(Family::IPV4_UNICAST, crate::Afi::IPV6)],
        ..Default::default()
    };
    let v = UpdateView::parse(update(&[], &a, &[]), &ctx).unwrap();
    assert!(v.problems().is_empty());
    let r = v.mp_reach().unwrap();
    assert_eq!(r.next_hop().0, Some("2001:db8::1".parse().unwrap()));
    assert_eq!(r.nlri.count(), 1);
    // An IPv4 next hop needs nothing.
    let a = attrs(&[ORIGIN, AS_PATH, &mp_reach(1, &[10, 0, 0, 1], NLRI)]);
    assert!(UpdateView::parse(update(&[], &a, &[]), &ctx4()).is_ok());
}
