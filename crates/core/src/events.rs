//! Adapter from the speaker's messages to `ferrobgp_api`'s event encoders.
//!
//! The envelope, state/fsm/negotiated/signal events, acks and both encoders (JSON and text)
//! are `ferrobgp_api::event`'s; the JSON of an UPDATE or OPEN body is `ferrobgp_wire::json`'s.
//! What is here only plugs wire's owned messages into api's [`MessageBody`] trait:
//!
//! * wire's `write_open` writes `"open":{…}` while api wants the value only: the key is cut.
//! * the text encoder's UPDATE lines are `ferrobgp_api::text`'s, from wire's decoded view.

use ferrobgp_api::event::{self as ev, MessageBody};
use ferrobgp_wire::model::{Nlri, Open};
use ferrobgp_wire::{Family, PathAttributes};

pub use ferrobgp_api::event::{
    DaemonInfo, Direction, Event, EventContext, FsmState, NegotiatedInfo, NeighborInfo, RawMessage,
    RefreshMode,
};
pub use ferrobgp_api::Encoding;

/// An OPEN as an api message body.
pub struct OpenBody<'a>(pub &'a Open);

impl MessageBody for OpenBody<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let start = out.len();
        ferrobgp_wire::json::write_open(out, self.0);
        const KEY: &[u8] = b"\"open\":";
        if out[start..].starts_with(KEY) {
            out.drain(start..start + KEY.len());
        }
    }
    fn write_text(&self, _prefix: &str, out: &mut Vec<u8>) {
        use std::io::Write;
        let o = self.0;
        let _ = write!(
            out,
            "version {} asn {} hold_time {} router_id {} capabilities [{}]",
            o.version,
            o.asn(),
            o.hold_time,
            o.bgp_id,
            ferrobgp_api::text::open_capabilities_text(&o.capabilities)
        );
    }
}

/// An UPDATE (or End-of-RIB) as an api message body.
pub struct UpdateBody<'a> {
    pub attributes: &'a PathAttributes,
    pub withdrawn: &'a [(Family, Nlri)],
    pub announced: &'a [(Family, Nlri)],
    pub end_of_rib: Option<Family>,
}

impl MessageBody for UpdateBody<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        ferrobgp_wire::json::write_update_message(
            out,
            self.attributes,
            self.withdrawn,
            self.announced,
            self.end_of_rib,
        );
    }
    fn write_text(&self, prefix: &str, out: &mut Vec<u8>) {
        ferrobgp_api::text::write_update_lines(
            prefix,
            self.attributes,
            self.withdrawn,
            self.announced,
            self.end_of_rib,
            out,
        );
    }
}

/// A received UPDATE written straight from its validated view: ExaBGP's JSON without an
/// owned copy of its routes (no allocation per route, as `json::write_update_view`
/// promises); the text encoder still goes through the owned form.
pub struct UpdateViewBody<'a>(pub &'a ferrobgp_wire::UpdateView);

impl MessageBody for UpdateViewBody<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        ferrobgp_wire::json::write_update_view(out, self.0);
    }
    fn write_text(&self, prefix: &str, out: &mut Vec<u8>) {
        let u = self.0.to_update();
        ferrobgp_api::text::write_update_lines(
            prefix,
            &u.attributes,
            &u.withdrawn,
            &u.announced,
            u.end_of_rib,
            out,
        );
    }
}

/// Encode one event with the process's encoder.
pub fn encode(encoding: Encoding, ctx: &EventContext<'_>, event: &Event<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    ev::encode(encoding, ctx, event, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ctx_parts() -> (DaemonInfo, NeighborInfo) {
        (
            DaemonInfo {
                version: "5.0.0".into(),
                host: "h".into(),
                pid: 1,
                ppid: 0,
            },
            NeighborInfo {
                local_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
                peer_address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
                local_as: 1,
                peer_as: 1,
                router_id: Some(Ipv4Addr::new(1, 2, 3, 4)),
            },
        )
    }

    #[test]
    fn update_in_json_and_text() {
        let (d, n) = ctx_parts();
        let ctx = EventContext {
            daemon: &d,
            time: 0.0,
            counter: 1,
            neighbor: &n,
            negotiated: None,
        };
        let attributes = PathAttributes {
            origin: Some(ferrobgp_wire::model::Origin::Igp),
            next_hop: Some("10.0.0.1".parse().unwrap()),
            ..Default::default()
        };
        let announced = vec![(
            Family::IPV4_UNICAST,
            Nlri::Prefix {
                prefix: "10.1.0.0/24".parse().unwrap(),
                path_id: None,
            },
        )];
        let body = UpdateBody {
            attributes: &attributes,
            withdrawn: &[],
            announced: &announced,
            end_of_rib: None,
        };
        let ev = Event::Update {
            direction: Direction::Receive,
            body: &body,
            raw: None,
        };
        let json = String::from_utf8(encode(Encoding::Json, &ctx, &ev)).unwrap();
        assert!(json.contains("\"nlri\":\"10.1.0.0/24\""), "{json}");
        let text = String::from_utf8(encode(Encoding::Text, &ctx, &ev)).unwrap();
        assert_eq!(
            text,
            "neighbor 127.0.0.2 receive update start\n\
             neighbor 127.0.0.2 receive update announced 10.1.0.0/24 next-hop 10.0.0.1 origin igp\n\
             neighbor 127.0.0.2 receive update end\n\n"
        );
    }

    #[test]
    fn open_body_is_the_value_only() {
        let o = Open {
            version: 4,
            my_as: 1,
            hold_time: 180,
            bgp_id: Ipv4Addr::new(1, 2, 3, 4),
            capabilities: vec![],
        };
        let mut v = Vec::new();
        OpenBody(&o).write_json(&mut v);
        assert!(
            v.starts_with(b"{\"version\":4"),
            "{}",
            String::from_utf8_lossy(&v)
        );
    }
}
