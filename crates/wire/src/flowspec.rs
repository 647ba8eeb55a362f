//! Flow specification NLRI (RFC 8955, RFC 8956).

/// One flowspec rule: the ordered list of components of one NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowRule {
    pub components: Vec<FlowComponent>,
}

/// Placeholder until the flowspec module is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlowComponent {}
