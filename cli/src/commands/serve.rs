//! `kafka-demo serve`: the browser playground, until Ctrl-C or SIGTERM.

use super::terminal::{say, wait_for_signal};
use crate::flags::ServeArgs;
use pipeline::settings::Config;
use std::process::ExitCode;

/// Serves until a signal; the banner names `profile`, the cluster profile in use.
pub(crate) async fn serve(
    args: ServeArgs,
    config: Config,
    profile: Option<&str>,
) -> anyhow::Result<ExitCode> {
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
    let profile_line = profile.map(|name| super::profile_line(name, &config));
    bridge::serve(config, serve, shutdown, |url| {
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
