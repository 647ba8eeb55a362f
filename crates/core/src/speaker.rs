use std::time::Instant;

use crate::{Config, CoreError, Environment, Input, Output};

/// All protocol state of one BGP speaker; no I/O, no clock. See the crate docs.
pub struct Speaker {
    outputs: std::collections::VecDeque<Output>,
}

impl Speaker {
    pub fn new(_config: Config, _env: Environment, _now: Instant) -> Result<Self, CoreError> {
        Ok(Speaker { outputs: Default::default() })
    }
    pub fn handle(&mut self, _now: Instant, _input: Input) {}
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
    pub fn next_deadline(&self) -> Option<Instant> {
        None
    }
}
