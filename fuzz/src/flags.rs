//! The command line, read into a typed [`Flags`] in one step, refusing what it cannot use.

use crate::corpus;
use crate::target::TargetKind;
use std::path::PathBuf;
use std::time::Duration;

/// How to use the binary.
pub const USAGE: &str = "usage: kafka-demo-fuzz [--seconds N] [--seed S] \
[--target protocol|framing|decode|all] [--corpus DIR]
  --seconds N   total time, split evenly over the targets (default 60)
  --seed S      the seed: the same seed tries the same inputs (default 1)
  --target T    one target, or all of them (default all)
  --corpus DIR  where defects are written (default the crate's corpus/)";

/// What a run is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flags {
    /// Total time, split over the targets.
    pub time: Duration,
    /// The seed.
    pub seed: u64,
    /// The targets, run one after the other.
    pub targets: Vec<TargetKind>,
    /// Where defects go.
    pub corpus: PathBuf,
}

/// Reads the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Flags, String> {
    let mut flags = Flags {
        time: Duration::from_secs(60),
        seed: 1,
        targets: TargetKind::ALL.to_vec(),
        corpus: corpus::default_dir(),
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => flags.time = Duration::from_secs(number(&flag, &value()?)?),
            "--seed" => flags.seed = number(&flag, &value()?)?,
            "--target" => flags.targets = targets(&value()?)?,
            "--corpus" => flags.corpus = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(flags)
}

fn number(flag: &str, text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{flag} takes a whole number, not {text:?}"))
}

fn targets(name: &str) -> Result<Vec<TargetKind>, String> {
    match (name, TargetKind::parse(name)) {
        ("all", _) => Ok(TargetKind::ALL.to_vec()),
        (_, Some(kind)) => Ok(vec![kind]),
        (_, None) => Err(format!("no target called {name:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_read_into_a_typed_run() {
        let flags =
            parse(args("--seconds 30 --seed 9 --target decode")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flags.time, Duration::from_secs(30));
        assert_eq!(flags.seed, 9);
        assert_eq!(flags.targets, [TargetKind::Decode]);
        assert_eq!(parse(args("")).map(|f| f.targets.len()), Ok(3));
    }

    #[test]
    fn bad_flags_are_refused_with_a_reason() {
        assert!(parse(args("--seconds")).is_err());
        assert!(parse(args("--seconds ten")).is_err());
        assert!(parse(args("--target json")).is_err());
        assert!(parse(args("--fast")).is_err());
    }
}
