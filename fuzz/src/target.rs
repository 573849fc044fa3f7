//! What a fuzz target is: a source of inputs and a property each input must keep.

use crate::input::Input;
use crate::rng::Rng;
use std::fmt;

/// The targets, by the name `--target` and the corpus folders use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// WebSocket messages (JSON, both directions) and the tail's binary frame.
    Protocol,
    /// The Confluent header and framed decoding.
    Framing,
    /// The planned Avro decoder against `apache-avro`.
    Decode,
}

impl TargetKind {
    /// Every target, in the order a run takes them.
    pub const ALL: [TargetKind; 3] = [Self::Protocol, Self::Framing, Self::Decode];

    /// The target's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Protocol => "protocol",
            Self::Framing => "framing",
            Self::Decode => "decode",
        }
    }

    /// The target called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a target answered an input that kept its property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The input parsed (decoded) on every side; the label says which way, for the statistics.
    Accepted(&'static str),
    /// Every side refused it; the label names the refusal (e.g. the fault), without numbers.
    Refused(String),
}

impl Verdict {
    /// Whether the input was accepted.
    pub fn accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }
}

/// A fuzz target.
pub trait Target {
    /// Which one.
    fn kind(&self) -> TargetKind;

    /// The next input to try; `pool` holds earlier inputs that made the target answer in a
    /// new way.
    fn generate(&mut self, rng: &mut Rng, pool: &[Input]) -> Input;

    /// Runs `input` and checks the property: `Err` says how it broke.
    fn check(&mut self, input: &Input) -> Result<Verdict, String>;
}

/// A refusal label: the message with its digits dropped, so `3 bytes` and `4 bytes` count once.
pub fn label(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(80));
    for c in message.chars().filter(|c| !c.is_ascii_digit()).take(80) {
        out.push(c);
    }
    out
}
