//! The `kafka-demo` command line as a library: [`flags`] turns the command line and environment
//! into the pipeline's and the bridge's settings in one place, and [`commands`] runs each
//! subcommand and prints for people. The binary only parses, installs logging and runs.

pub mod commands;
pub mod flags;
