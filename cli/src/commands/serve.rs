//! `kafka-demo serve`: the browser playground, until Ctrl-C or SIGTERM.

use super::terminal::{say, wait_for_signal};
use crate::flags::{Profiles, ServeArgs};
use bridge::OfferedCluster;
use pipeline::settings::Config;
use std::process::ExitCode;

/// What the page calls the flags' own settings when no profile is in use.
pub(crate) const LOCAL: &str = "local";

/// Serves until a signal; the banner names the cluster profile in use (`config` is its
/// settings), and the page may switch to every other profile of `profiles` that resolves.
pub(crate) async fn serve(
    args: ServeArgs,
    config: Config,
    profiles: &Profiles,
) -> anyhow::Result<ExitCode> {
    let profile = profiles.active();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });
    let serve = args.into_config(&config.stack.data_dir);
    // The instructor's link goes to the terminal of whoever started the bridge, like the
    // token's: a made key is known no other way, a given one saves typing the link.
    let instructor_key = serve
        .instructor_key
        .as_ref()
        .map(|key| key.as_str().to_owned());
    let profile_line = profile.map(|name| super::terminal::profile_line(name, &config));
    let default = OfferedCluster {
        name: profile.unwrap_or(LOCAL).to_owned(),
        config,
    };
    let (others, left_out) = offered(profiles, &default.name);
    for line in &left_out {
        say(line);
    }
    bridge::serve(default, others, serve, shutdown, |url| {
        println!("kafka-demo playground: {url}");
        if let Some(line) = &profile_line {
            say(line);
        }
        if let Some(key) = &instructor_key {
            println!("instructor view: {url}#instructor={key}");
        }
        say("press Ctrl-C to stop");
    })
    .await?;
    say("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Every profile but `default` that resolves, in the profiles' order, and a line for each one
/// that does not (an unset variable, an unreadable secret file) saying why it is left out.
fn offered(profiles: &Profiles, default: &str) -> (Vec<OfferedCluster>, Vec<String>) {
    let mut others = Vec::new();
    let mut left_out = Vec::new();
    for name in profiles.names() {
        if profiles.active() == Some(name) {
            continue;
        }
        if name == default {
            left_out.push(format!(
                "warning: the page does not offer the cluster profile {name:?}: the page calls \
                 the connection flags' own settings that (no profile is in use)"
            ));
            continue;
        }
        match profiles.config(name) {
            Ok(config) => others.push(OfferedCluster {
                name: name.to_owned(),
                config,
            }),
            Err(e) => left_out.push(format!(
                "warning: the page does not offer the cluster profile {name:?}: {e}"
            )),
        }
    }
    (others, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Cli;
    use clap::Parser as _;
    use std::sync::Arc;

    /// The profiles of `kafka-demo ARGS serve` over the config file `text`, no variable set.
    fn profiles(text: &str, args: &[&str]) -> Result<(Profiles, tempfile::TempDir), String> {
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let file = home.path().join("clusters.toml");
        std::fs::write(&file, text).map_err(|e| e.to_string())?;
        let file = file.to_string_lossy().into_owned();
        let argv = ["kafka-demo", "--config", &file].into_iter();
        let cli = Cli::try_parse_from(argv.chain(args.iter().copied()).chain(["serve"]))
            .map_err(|e| e.to_string())?;
        let profiles = (cli.global)
            .profiles_with(Some(home.path().to_owned()), Arc::new(|_: &str| None))
            .map_err(|e| e.to_string())?;
        Ok((profiles, home))
    }

    const THREE: &str = r#"
[clusters.a]
bootstrap_servers = "a1:9092"
[clusters.broken]
spark_token = { env = "SERVE_TEST_NEVER_SET" }
[clusters.c]
bootstrap_servers = "c1:9092"
[clusters.local]
bootstrap_servers = "l1:9092"
"#;

    #[test]
    fn every_other_profile_that_resolves_is_offered_and_the_rest_named() -> Result<(), String> {
        let (profiles, _home) = profiles(THREE, &["--cluster", "a"])?;
        let (others, left_out) = offered(&profiles, "a");
        let names: Vec<&str> = others.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["c", "local"]);
        assert_eq!(others[0].config.kafka.bootstrap_servers, "c1:9092");
        assert_eq!(left_out.len(), 1, "{left_out:?}");
        assert!(
            left_out[0].contains("\"broken\"") && left_out[0].contains("SERVE_TEST_NEVER_SET"),
            "{}",
            left_out[0]
        );
        Ok(())
    }

    #[test]
    fn without_a_profile_the_flags_are_offered_as_local() -> Result<(), String> {
        let (profiles, _home) = profiles(THREE, &[])?;
        assert_eq!(profiles.active(), None);
        let (others, left_out) = offered(&profiles, LOCAL);
        let names: Vec<&str> = others.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(left_out.len(), 2, "{left_out:?}");
        assert!(
            left_out.iter().any(|l| l.contains("\"local\"")),
            "{left_out:?}"
        );
        Ok(())
    }
}
