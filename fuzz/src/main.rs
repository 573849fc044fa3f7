//! `kafka-demo-fuzz`: reads the flags, fuzzes each target for its share of the time, prints
//! what each did, and exits non-zero when any defect was found.

use kafka_demo_fuzz::flags;
use kafka_demo_fuzz::runner::{self, RunConfig};
use std::process::ExitCode;

fn main() -> ExitCode {
    let flags = match flags::parse(std::env::args().skip(1)) {
        Ok(flags) => flags,
        Err(message) => {
            eprintln!("{message}\n{}", flags::USAGE);
            return ExitCode::from(2);
        }
    };
    runner::silence_panics();
    let share = flags.time / flags.targets.len().max(1) as u32;
    let mut defects = 0;
    for kind in &flags.targets {
        let config = RunConfig {
            seed: flags.seed,
            time: share,
            max_executions: None,
            corpus: Some(flags.corpus.clone()),
        };
        let report = runner::run_kind(*kind, config);
        println!("{}", report.summary());
        for defect in &report.defects {
            let saved = defect
                .saved
                .as_ref()
                .map_or("not saved".into(), |p| p.display().to_string());
            println!("  defect: {}\n    input: {saved}", defect.message);
        }
        defects += report.defects.len();
    }
    match defects {
        0 => ExitCode::SUCCESS,
        _ => {
            println!(
                "{defects} defects; their inputs are in {}",
                flags.corpus.display()
            );
            ExitCode::FAILURE
        }
    }
}
