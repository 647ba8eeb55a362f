//! Acknowledgements: what ExaBGP writes back to a process after each command.
//!
//! Text: `done`, `error`, and `shutdown` when the daemon exits. A process whose encoder is
//! JSON gets the JSON forms instead (ExaBGP's `Answer` strings, byte for byte).

use crate::command::Command;

/// How a process reads what it is sent: ExaBGP's `encoder text|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Json,
    Text,
}

/// One answer line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Done,
    Error,
    Shutdown,
}

impl Answer {
    /// The exact line ExaBGP writes, without the newline.
    pub fn as_str(self, encoding: Encoding) -> &'static str {
        match (encoding, self) {
            (Encoding::Text, Answer::Done) => "done",
            (Encoding::Text, Answer::Error) => "error",
            (Encoding::Text, Answer::Shutdown) => "shutdown",
            (Encoding::Json, Answer::Done) => {
                r#"{ "answer": "done", "message": "command completed" }"#
            }
            (Encoding::Json, Answer::Error) => {
                r#"{ "answer": "error", "message": "this command does not support json output" }"#
            }
            (Encoding::Json, Answer::Shutdown) => {
                r#"{ "answer": "shutdown", "message": "exbgp exited" }"#
            }
        }
    }

    /// Appends the line and its `\n` to `out`.
    pub fn write(self, encoding: Encoding, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_str(encoding).as_bytes());
        out.push(b'\n');
    }
}

/// The per-process acknowledgement state the core keeps (one per API process).
///
/// ExaBGP's rules: `enable-ack` turns acks on and is itself answered; `disable-ack` is
/// answered `done`, then acks stop; `silence-ack` stops acks at once, its own included.
/// `shutdown` at exit is sent whatever the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckState {
    pub encoding: Encoding,
    enabled: bool,
}

impl AckState {
    /// `enabled` is `exabgp.api.ack` (true by default).
    pub fn new(encoding: Encoding, enabled: bool) -> Self {
        AckState { encoding, enabled }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Apply a command's effect on the ack state and return what to answer, if anything,
    /// once the command has been carried out (`ok`) or refused.
    pub fn after(&mut self, cmd: Option<&Command>, ok: bool) -> Option<Answer> {
        match cmd {
            Some(Command::EnableAck) => {
                self.enabled = true;
                Some(Answer::Done)
            }
            Some(Command::DisableAck) => {
                self.enabled = false;
                Some(Answer::Done)
            }
            Some(Command::SilenceAck) => {
                self.enabled = false;
                None
            }
            _ if !self.enabled => None,
            _ if ok => Some(Answer::Done),
            _ => Some(Answer::Error),
        }
    }

    /// [`AckState::after`] written straight into `out`.
    pub fn answer_into(&mut self, cmd: Option<&Command>, ok: bool, out: &mut Vec<u8>) {
        if let Some(a) = self.after(cmd, ok) {
            a.write(self.encoding, out);
        }
    }

    /// The line sent to every process when the daemon exits.
    pub fn shutdown_into(&self, out: &mut Vec<u8>) {
        Answer::Shutdown.write(self.encoding, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes() {
        let mut v = Vec::new();
        Answer::Done.write(Encoding::Text, &mut v);
        Answer::Error.write(Encoding::Text, &mut v);
        Answer::Done.write(Encoding::Json, &mut v);
        assert_eq!(
            v,
            b"done\nerror\n{ \"answer\": \"done\", \"message\": \"command completed\" }\n"
        );
    }

    #[test]
    fn ack_modes() {
        let mut s = AckState::new(Encoding::Text, true);
        assert_eq!(s.after(None, true), Some(Answer::Done));
        assert_eq!(s.after(None, false), Some(Answer::Error));
        assert_eq!(
            s.after(Some(&Command::DisableAck), true),
            Some(Answer::Done)
        );
        assert_eq!(s.after(None, true), None);
        assert_eq!(s.after(Some(&Command::EnableAck), true), Some(Answer::Done));
        assert_eq!(s.after(Some(&Command::SilenceAck), true), None);
        assert_eq!(s.after(None, false), None);
        let mut out = Vec::new();
        s.shutdown_into(&mut out);
        assert_eq!(out, b"shutdown\n");
    }
}
