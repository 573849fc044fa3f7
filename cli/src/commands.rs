//! The `kafka-demo` command line: runs a parsed [`Cli`] and prints for people. Library errors
//! arrive here and are turned into one plain message and an exit code.

use crate::flags::{Cli, Command};
use std::process::ExitCode;

pub mod batch;
mod consume;
mod group;
pub mod produce;
mod schema;
mod serve;
mod stack;
pub mod stream;
pub mod terminal;
mod topic;

pub use terminal::{describe, say};

/// Runs one command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let (Command::Stack(cmd), Some(name)) = (&cli.command, cli.global.cluster.as_deref()) {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let config = cli.global.local_config(home)?;
        return stack::cluster(cmd.clone(), name, &config).await;
    }
    let profiles = cli.global.profiles_from_env()?;
    let config = profiles.active_config()?;
    let profile = profiles.active();
    match cli.command {
        Command::Stack(cmd) => stack::stack(cmd, &config, profile).await,
        Command::Schema(cmd) => schema::schema_cmd(cmd, &config).await,
        Command::Topic(cmd) => topic::topic(cmd, &config).await,
        Command::Group(cmd) => group::group(cmd, &config).await,
        Command::Serve(args) => serve::serve(args, config, &profiles).await,
        Command::Produce(args) => produce::produce(&args, &config).await,
        Command::Consume(args) => consume::consume(&args, &config).await,
        Command::Batch(args) => batch::batch(&args, &config).await,
        Command::Stream(args) => stream::stream(&args, &config).await,
    }
}
