//! Readers of single flag values: counts, rates, fractions, durations and compatibility levels,
//! each refusing bad input with a reason clap shows next to the flag.

use shared::protocol::CompatLevel;
use std::time::Duration;

/// A rate limit: a finite number of records per second above zero.
pub(crate) fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number of records per second"
        )),
    }
}

/// Largest accepted `--rate`, in records per second.
pub const MAX_RATE: f64 = 10_000_000.0;

pub(crate) fn parse_positive(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("not a whole number".into()),
    }
}

pub(crate) fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number of records per second".to_owned())?;
    if rate > 0.0 && rate <= MAX_RATE {
        Ok(rate)
    } else {
        Err(format!("must be more than 0 and at most {MAX_RATE}"))
    }
}

pub(crate) fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("must be a fraction between 0 and 1".into()),
    }
}

/// Reads `250ms`, `30s`, `1.5m`, `2h`; a plain number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err("not a duration like 30s, 5m or 250ms".into());
    }
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit {other:?}; use ms, s, m or h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| "not a duration like 30s, 5m or 250ms".to_owned())?;
    Duration::try_from_secs_f64(value * scale)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "must be more than zero".to_owned())
}

/// Reads a compatibility level as the registry spells it (any case).
pub(crate) fn parse_level(text: &str) -> Result<CompatLevel, String> {
    CompatLevel::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
        let all: Vec<&str> = CompatLevel::ALL.iter().map(|l| l.as_str()).collect();
        format!("not a compatibility level; use one of {}", all.join(", "))
    })
}

/// Reads `--reference NAME=SUBJECT:VERSION`.
pub(crate) fn parse_reference(text: &str) -> Result<pipeline::registry::Reference, String> {
    let wrong = || format!("{text:?} is not NAME=SUBJECT:VERSION (com.example.Geo=geo-value:1)");
    let (name, rest) = text.split_once('=').ok_or_else(wrong)?;
    let (subject, version) = rest.rsplit_once(':').ok_or_else(wrong)?;
    let version = version.trim().parse::<u32>().map_err(|_| wrong())?;
    if name.trim().is_empty() || subject.trim().is_empty() {
        return Err(wrong());
    }
    Ok(pipeline::registry::Reference {
        name: name.trim().to_owned(),
        subject: subject.trim().to_owned(),
        version,
    })
}

/// Reads `--cluster NAME`.
pub(crate) fn parse_cluster(text: &str) -> Result<String, String> {
    match text.trim().is_empty() {
        true => Err("a profile name cannot be empty".into()),
        false => Ok(text.to_owned()),
    }
}

/// Why a command line cannot mean what it says when `--cluster` (which may stand alone,
/// meaning the local cluster) is followed by a command's name: clap would take the command as
/// the profile and then stumble over what follows it.
pub fn misplaced_cluster<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<String> {
    const COMMANDS: [&str; 9] = [
        "stack", "schema", "topic", "group", "serve", "produce", "consume", "batch", "stream",
    ];
    let words: Vec<&str> = args
        .iter()
        .map(|a| a.as_ref().to_str().unwrap_or(""))
        .collect();
    let at = words
        .windows(2)
        .position(|w| w[0] == "--cluster" && COMMANDS.contains(&w[1]))?;
    let command = words[at + 1];
    Some(format!(
        "--cluster {command}: {command} is a command, not a profile. Put --cluster after the \
         command (kafka-demo {command} … --cluster [NAME]) or give the profile as --cluster=NAME"
    ))
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn references_read_as_name_subject_version() {
        let r = parse_reference("com.example.Geo=geo-value:3").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.name.as_str(), r.subject.as_str(), r.version),
            ("com.example.Geo", "geo-value", 3)
        );
        assert!(parse_reference("com.example.Geo=geo-value").is_err());
        assert!(parse_reference("=s:1").is_err());
        assert!(parse_reference("n=s:x").is_err());
    }
}
