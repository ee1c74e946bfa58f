//! Static first-match analysis of the device's security rulebase: does a rule match all, some
//! or none of an allowance's traffic, decided from the rules and objects palosync read, without
//! asking the device.
//!
//! Every answer is three-valued ([`Tri`]): `Yes` and `No` are proofs, `Maybe` is "only the
//! device knows" (an FQDN, a dynamic group, an EDL, an application group, a name this read does
//! not resolve). Imprecision is only ever towards `Maybe`, never a wrong `Yes` or `No`, so a
//! caller that treats `Maybe` as "ask, or keep the managed rule" can neither over- nor
//! under-allow. This module never decides what to do with an answer (see [`crate::shadow`]).

pub mod addresses;
pub mod intervals;
mod rule;
pub mod traffic;

pub use rule::{Relation, RulePolicy, RulebaseBooks, Subject};

/// A three-valued truth: proven, disproven, or unknown without the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    No,
    Maybe,
    Yes,
}

impl Tri {
    pub fn from_bool(value: bool) -> Self {
        if value { Tri::Yes } else { Tri::No }
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }

    pub fn negate(self) -> Tri {
        match self {
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
            Tri::Yes => Tri::No,
        }
    }
}
