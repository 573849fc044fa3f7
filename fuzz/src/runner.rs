//! The fuzz loop: generate, check under `catch_unwind`, keep inputs that answered in a new
//! way, write defects to the corpus, until the time or the execution budget is spent.

use crate::corpus;
use crate::input::Input;
use crate::rng::Rng;
use crate::target::{Target, Verdict};
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Inputs kept for mutation, per target.
const POOL_LIMIT: usize = 512;
/// Defects reported per target and run; more of the same kind add nothing.
const DEFECT_LIMIT: usize = 16;

/// One run of one target.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The seed: the same seed generates the same inputs.
    pub seed: u64,
    /// Stop after this long.
    pub time: Duration,
    /// Stop after this many executions, if sooner.
    pub max_executions: Option<u64>,
    /// Where defects are written; not written when `None`.
    pub corpus: Option<PathBuf>,
}

/// A broken property or a panic, with the input that caused it.
#[derive(Debug, Clone)]
pub struct Defect {
    /// What went wrong.
    pub message: String,
    /// The input.
    pub input: Input,
    /// Where it was written, if it was.
    pub saved: Option<PathBuf>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target's name.
    pub target: &'static str,
    /// Inputs checked.
    pub executions: u64,
    /// Of those, inputs every side accepted.
    pub accepted: u64,
    /// Distinct ways the target answered (accepted kinds and refusal labels).
    pub answers: usize,
    /// Time spent.
    pub elapsed: Duration,
    /// Defects found (at most a few per kind of message).
    pub defects: Vec<Defect>,
}

impl Report {
    /// Executions per second.
    pub fn rate(&self) -> f64 {
        self.executions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Checks `input` with panics caught: a panic is a broken property like any other.
pub fn check(target: &mut dyn Target, input: &Input) -> Result<Verdict, String> {
    match panic::catch_unwind(AssertUnwindSafe(|| target.check(input))) {
        Ok(result) => result,
        Err(payload) => Err(format!("panicked: {}", panic_message(&*payload))),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-text payload".to_owned()
    }
}

/// Fuzzes `target` until `config`'s budget is spent.
pub fn run(target: &mut dyn Target, config: &RunConfig) -> Report {
    crate::avro::oracle::cap_allocations();
    let started = Instant::now();
    let mut rng = Rng::new(config.seed ^ target.kind() as u64);
    let mut pool: Vec<Input> = Vec::new();
    let mut answers: HashSet<Verdict> = HashSet::new();
    let mut defect_kinds: HashSet<String> = HashSet::new();
    let mut report = Report {
        target: target.kind().name(),
        executions: 0,
        accepted: 0,
        answers: 0,
        elapsed: Duration::ZERO,
        defects: Vec::new(),
    };
    while !spent(config, &report, started) {
        let input = target.generate(&mut rng, &pool);
        report.executions += 1;
        match check(target, &input) {
            Ok(verdict) => {
                report.accepted += u64::from(verdict.accepted());
                if answers.insert(verdict) {
                    keep(&mut pool, &mut rng, input);
                }
            }
            Err(message) => {
                if report.defects.len() < DEFECT_LIMIT
                    && defect_kinds.insert(crate::target::label(&message))
                {
                    report.defects.push(defect(target, config, message, input));
                }
            }
        }
    }
    report.answers = answers.len();
    report.elapsed = started.elapsed();
    report
}

fn spent(config: &RunConfig, report: &Report, started: Instant) -> bool {
    if config
        .max_executions
        .is_some_and(|max| report.executions >= max)
    {
        return true;
    }
    // Reading the clock every execution would cost more than some executions do.
    report.executions.is_multiple_of(64) && started.elapsed() >= config.time
}

fn keep(pool: &mut Vec<Input>, rng: &mut Rng, input: Input) {
    if pool.len() < POOL_LIMIT {
        pool.push(input);
    } else {
        let at = rng.below(pool.len());
        pool[at] = input;
    }
}

fn defect(target: &dyn Target, config: &RunConfig, message: String, input: Input) -> Defect {
    let saved = config
        .corpus
        .as_deref()
        .and_then(|dir| corpus::save(dir, target.kind(), &input).ok());
    Defect {
        message,
        input,
        saved,
    }
}

impl Report {
    /// One line: executions, rate, answers, accepted, defects.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} executions in {:.1} s ({:.0}/s), {} accepted, {} distinct answers, {} defects",
            self.target,
            self.executions,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.accepted,
            self.answers,
            self.defects.len()
        )
    }
}

/// Stack for a run: apache-avro decodes recursively, and a recursive schema with a deep body
/// would overflow a test thread's default stack before it reaches the property.
const STACK: usize = 256 << 20;

/// Fuzzes a fresh target of `kind` on a thread with a large stack.
pub fn run_kind(kind: crate::target::TargetKind, config: RunConfig) -> Report {
    let spawned = std::thread::Builder::new()
        .name(format!("fuzz-{kind}"))
        .stack_size(STACK)
        .spawn(move || run(&mut *crate::targets::make(kind), &config));
    let failed = |message: String| Report {
        target: kind.name(),
        executions: 0,
        accepted: 0,
        answers: 0,
        elapsed: Duration::ZERO,
        defects: vec![Defect {
            message,
            input: Input::default(),
            saved: None,
        }],
    };
    match spawned {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| failed("the fuzz thread panicked outside a check".into())),
        Err(e) => failed(format!("no thread for the run: {e}")),
    }
}

/// Panics are defects the run reports itself; the default hook would print each one too.
pub fn silence_panics() {
    panic::set_hook(Box::new(|_| {}));
}

/// Checks one stored input against a fresh target of `kind`, as a run would have.
pub fn replay(kind: crate::target::TargetKind, input: &Input) -> Result<Verdict, String> {
    crate::avro::oracle::cap_allocations();
    check(&mut *crate::targets::make(kind), input)
}
