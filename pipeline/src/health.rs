//! Is each service answering? Cheap probes for the live status bar and the thorough ones the
//! stack's readiness check uses.

use crate::settings::{Config, KafkaConfig, RegistryConfig, SparkConfig};
use shared::protocol::{ServiceView, StackView};
use std::time::Duration;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Kafka answers a metadata request.
pub async fn kafka(kafka: &KafkaConfig) -> Result<(), String> {
    crate::kafka::broker_count(kafka, PROBE_TIMEOUT)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The registry answers `GET /subjects`.
pub async fn registry(registry: &RegistryConfig) -> Result<(), String> {
    let client = crate::registry::Client::new(registry).map_err(|e| e.to_string())?;
    match tokio::time::timeout(PROBE_TIMEOUT, client.subjects()).await {
        Ok(answer) => answer.map(|_| ()).map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

/// Spark Connect runs `SELECT 1`.
pub async fn spark(spark: &SparkConfig) -> Result<(), String> {
    crate::spark::ping(spark, Duration::from_secs(20))
        .await
        .map_err(|e| e.to_string())
}

/// Spark Connect's port accepts a connection: cheap enough to poll every few seconds, where a
/// query each time would fill Spark's log.
pub async fn spark_port(spark: &SparkConfig) -> Result<(), String> {
    let address = (spark.url.host.as_str(), spark.url.port);
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
    }
}

/// The cheap probes of every service in `config`, at once.
pub async fn snapshot(config: &Config) -> StackView {
    let (k, r, s) = tokio::join!(
        kafka(&config.kafka),
        registry(&config.registry),
        spark_port(&config.spark)
    );
    let view = |address: String, result: Result<(), String>| ServiceView {
        address,
        up: result.is_ok(),
        problem: result.err(),
    };
    // The view goes to the page: the registry's URL without any user and password written
    // into it (the Spark URL's display never holds its token).
    let registry = shown_url(&config.registry.url);
    let r = r.map_err(|e| e.replace(config.registry.url.as_str(), &registry));
    StackView {
        kafka: view(config.kafka.bootstrap_servers.clone(), k),
        registry: view(registry, r),
        spark: view(config.spark.url.to_string(), s),
    }
}

/// `url` without the user and password it may hold.
pub fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    // Only URLs that cannot be a base refuse these, and a registry URL can.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_holds_no_credentials() -> Result<(), url::ParseError> {
        let url = url::Url::parse("https://svc:s3cret@registry.example/apis/ccompat/v7")?;
        assert_eq!(shown_url(&url), "https://registry.example/apis/ccompat/v7");
        let plain = url::Url::parse("http://127.0.0.1:23081/apis/ccompat/v7")?;
        assert_eq!(shown_url(&plain), plain.as_str());
        Ok(())
    }
}
