//! Sequence matching: the test peer's judgement of the messages a daemon sends.
//!
//! Rules are grouped by (connection letter, sequence number) and the groups are taken in
//! order. Inside a group the messages may arrive in any order; every message of a group must
//! arrive before any of the next. `signal:`, `notification:` and `send:` (ours) rules are
//! actions the peer performs when the sequence reaches their group. KEEPALIVEs are ignored
//! by the caller; an End-of-RIB after the last expectation is tolerated; anything else is a
//! failure.

use std::collections::VecDeque;

use crate::ci::{Case, Kind};
use crate::msg;

/// One expected message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub bytes: Vec<u8>,
    /// Whether the rule includes the 16-byte marker; without it the comparison starts after.
    pub full: bool,
    /// Line in the `.ci` file.
    pub line: usize,
}

impl Expected {
    pub fn matches(&self, received: &[u8]) -> bool {
        if self.full {
            received == self.bytes.as_slice()
        } else {
            received.get(16..) == Some(self.bytes.as_slice())
        }
    }

    /// The expectation as a whole message (marker added back when the rule omits it).
    pub fn whole(&self) -> Vec<u8> {
        if self.full {
            self.bytes.clone()
        } else {
            let mut out = msg::MARKER.to_vec();
            out.extend_from_slice(&self.bytes);
            out
        }
    }
}

/// Something the peer does when the sequence reaches a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Notification(String),
    Signal(String),
    /// Send this message to the daemon.
    Send(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub conn: char,
    pub seq: u32,
    pub actions: Vec<Action>,
    pub messages: Vec<Expected>,
}

impl Group {
    pub fn label(&self) -> String {
        format!("{}{}", self.conn, self.seq)
    }
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It was one of the current group's expectations.
    Matched { group: String, line: usize },
    /// Tolerated without matching (a trailing End-of-RIB).
    Tolerated(&'static str),
    /// It matches nothing in the current group; the candidates are what was expected.
    Unexpected {
        group: String,
        candidates: Vec<Expected>,
    },
    /// Every expectation was met already.
    Extra,
}

#[derive(Debug, Clone, Default)]
pub struct Checker {
    groups: VecDeque<Group>,
    current: Option<Group>,
    /// Whether the current group's actions have been handed out.
    actions_taken: bool,
}

impl Checker {
    pub fn new(case: &Case) -> Checker {
        let mut groups: Vec<Group> = Vec::new();
        for rule in &case.rules {
            let index = match groups
                .iter()
                .position(|g| g.conn == rule.conn && g.seq == rule.seq)
            {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        conn: rule.conn,
                        seq: rule.seq,
                        actions: vec![],
                        messages: vec![],
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[index];
            match &rule.kind {
                Kind::Raw { bytes, full } => group.messages.push(Expected {
                    bytes: bytes.clone(),
                    full: *full,
                    line: rule.line,
                }),
                Kind::Notification(text) => group.actions.push(Action::Notification(text.clone())),
                Kind::Signal(name) => group.actions.push(Action::Signal(name.clone())),
                Kind::Send(bytes) => group.actions.push(Action::Send(bytes.clone())),
                Kind::Cmd(_) | Kind::Json { .. } => {}
            }
        }
        // Groups made only of cmd/json lines expect nothing on the wire.
        groups.retain(|g| !g.messages.is_empty() || !g.actions.is_empty());
        groups.sort_by_key(|g| (g.conn, g.seq));
        Checker {
            groups: groups.into(),
            current: None,
            actions_taken: false,
        }
    }

    /// Moves on to the next group when the current one is done, and returns the actions the
    /// peer must now perform, in order. Stops after a notification: the session ends there,
    /// and the following groups belong to the next connection.
    pub fn next_actions(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        loop {
            let done = match &self.current {
                None => true,
                Some(g) => self.actions_taken && g.messages.is_empty(),
            };
            if done {
                match self.groups.pop_front() {
                    Some(g) => {
                        self.current = Some(g);
                        self.actions_taken = false;
                    }
                    None => {
                        self.current = None;
                        return actions;
                    }
                }
            }
            let Some(group) = &self.current else {
                return actions;
            };
            if !self.actions_taken {
                self.actions_taken = true;
                let mut stop = false;
                for action in &group.actions {
                    stop |= matches!(action, Action::Notification(_));
                    actions.push(action.clone());
                }
                if stop {
                    return actions;
                }
            }
            if !group.messages.is_empty() {
                return actions;
            }
        }
    }

    /// Judges one received message (KEEPALIVEs are the caller's to skip).
    /// Call [`Checker::next_actions`] before, and after every `Matched`.
    pub fn receive(&mut self, received: &[u8]) -> Outcome {
        if let Some(group) = &mut self.current {
            if let Some(i) = group.messages.iter().position(|e| e.matches(received)) {
                let expected = group.messages.remove(i);
                return Outcome::Matched {
                    group: group.label(),
                    line: expected.line,
                };
            }
            if !group.messages.is_empty() {
                return Outcome::Unexpected {
                    group: group.label(),
                    candidates: group.messages.clone(),
                };
            }
        }
        if self.is_complete() {
            if msg::is_eor(received) {
                return Outcome::Tolerated("trailing End-of-RIB");
            }
            return Outcome::Extra;
        }
        // Current group exhausted but next_actions() was not called: treat as the next group.
        let _ = self.next_actions();
        self.receive(received)
    }

    /// Whether every expectation has been met and every action performed.
    pub fn is_complete(&self) -> bool {
        self.groups.is_empty()
            && self.current.as_ref().is_none_or(|g| {
                g.messages.is_empty() && (self.actions_taken || g.actions.is_empty())
            })
    }

    /// The connection letter of the group being waited for.
    pub fn current_conn(&self) -> Option<char> {
        self.current
            .as_ref()
            .or(self.groups.front())
            .map(|g| g.conn)
    }

    /// The connection letter of the next message expected (the first group still waiting
    /// for one), ignoring groups made only of actions.
    pub fn next_message_conn(&self) -> Option<char> {
        self.current
            .iter()
            .chain(self.groups.iter())
            .find(|g| !g.messages.is_empty())
            .map(|g| g.conn)
    }

    /// The groups still waited for, the current one first.
    pub fn remaining(&self) -> Vec<Group> {
        self.current
            .iter()
            .chain(self.groups.iter())
            .filter(|g| !g.messages.is_empty() || !g.actions.is_empty())
            .cloned()
            .collect()
    }

    /// The candidate closest to `received`: the longest common prefix, then the nearest length.
    pub fn closest<'a>(candidates: &'a [Expected], received: &[u8]) -> Option<&'a Expected> {
        candidates.iter().max_by_key(|e| {
            let whole = e.whole();
            let common = msg::first_difference(&whole, received).unwrap_or(usize::MAX);
            (
                common,
                std::cmp::Reverse(whole.len().abs_diff(received.len())),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EOR: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000";
    const U1: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418010000";
    const U2: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418020000";
    const U3: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0030:02:0000001540010100400200400304040000004005040000006418030000";

    fn b(s: &str) -> Vec<u8> {
        crate::ci::parse_hex(s).unwrap()
    }

    fn checker(text: &str) -> Checker {
        let mut c = Checker::new(&Case::parse(text).unwrap());
        assert_eq!(c.next_actions(), vec![]);
        c
    }

    fn matched(o: Outcome) -> bool {
        matches!(o, Outcome::Matched { .. })
    }

    #[test]
    fn any_order_inside_a_group() {
        let mut c = checker(&format!("1:raw:{U1}\n1:raw:{U2}\n2:raw:{U3}\n"));
        assert!(matched(c.receive(&b(U2))));
        assert!(matched(c.receive(&b(U1))));
        c.next_actions();
        assert!(matched(c.receive(&b(U3))));
        c.next_actions();
        assert!(c.is_complete());
    }

    #[test]
    fn groups_are_ordered() {
        let mut c = checker(&format!("1:raw:{U1}\n2:raw:{U2}\n"));
        match c.receive(&b(U2)) {
            Outcome::Unexpected { group, candidates } => {
                assert_eq!(group, "A1");
                assert_eq!(candidates.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sequence_numbers_sort_numerically_and_by_connection() {
        let mut c = checker(&format!("B1:raw:{U3}\nA10:raw:{U2}\nA9:raw:{U1}\n"));
        for m in [U1, U2, U3] {
            assert!(matched(c.receive(&b(m))), "{m}");
            c.next_actions();
        }
        assert!(c.is_complete());
    }

    #[test]
    fn extra_message_and_trailing_eor() {
        let mut c = checker(&format!("1:raw:{U1}\n"));
        assert!(matched(c.receive(&b(U1))));
        c.next_actions();
        assert!(c.is_complete());
        assert_eq!(
            c.receive(&b(EOR)),
            Outcome::Tolerated("trailing End-of-RIB")
        );
        assert_eq!(c.receive(&b(U2)), Outcome::Extra);
    }

    #[test]
    fn eor_before_the_end_is_not_tolerated() {
        let mut c = checker(&format!("1:raw:{U1}\n"));
        assert!(matches!(c.receive(&b(EOR)), Outcome::Unexpected { .. }));
    }

    #[test]
    fn rules_without_marker_compare_after_it() {
        let mut c = checker("1:raw:0017:02:00000000\n");
        assert!(matched(c.receive(&b(EOR))));
    }

    #[test]
    fn actions_come_when_their_group_is_reached() {
        let text = format!(
            "A1:raw:{U1}\nA2:signal:SIGUSR1\nA3:raw:{U2}\nA4:notification:bye\nB1:raw:{U3}\n"
        );
        let mut c = checker(&text);
        assert!(matched(c.receive(&b(U1))));
        assert_eq!(c.next_actions(), vec![Action::Signal("SIGUSR1".into())]);
        assert_eq!(c.next_message_conn(), Some('A'));
        assert!(matched(c.receive(&b(U2))));
        assert_eq!(c.next_actions(), vec![Action::Notification("bye".into())]);
        assert_eq!(c.current_conn(), Some('A'));
        // After our NOTIFICATION the next message is expected on the next connection.
        assert_eq!(c.next_message_conn(), Some('B'));
        assert_eq!(c.next_actions(), vec![]);
        assert_eq!(c.current_conn(), Some('B'));
        assert!(matched(c.receive(&b(U3))));
        c.next_actions();
        assert!(c.is_complete());
    }

    #[test]
    fn notification_only_case_completes() {
        let mut c =
            Checker::new(&Case::parse("A1:notification:closing session because we can").unwrap());
        assert!(!c.is_complete());
        assert_eq!(
            c.next_actions(),
            vec![Action::Notification(
                "closing session because we can".into()
            )]
        );
        assert!(c.is_complete());
    }

    #[test]
    fn closest_candidate() {
        let cands = vec![
            Expected {
                bytes: b(U1),
                full: true,
                line: 1,
            },
            Expected {
                bytes: b(U3),
                full: true,
                line: 2,
            },
        ];
        let mut received = b(U3);
        received[47] = 9;
        assert_eq!(Checker::closest(&cands, &received).unwrap().line, 2);
    }
}
