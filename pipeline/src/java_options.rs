//! The Kafka options given for librdkafka (`-X key=value`), as the Java client inside Spark's
//! Kafka source and sink names them, so a batch or stream job reaches the same secured cluster
//! as the producer and the tail.
//!
//! Each option is translated (same name, a new name, or several Java options made from it),
//! left to librdkafka (tuning of librdkafka's own queues and logging, or settings Spark manages
//! itself), or refused with an error that names it — never dropped without a word. The table is
//! in the README's "Kafka options and Spark" section.

use crate::settings::KafkaConfig;

/// Why an option cannot be handed to Spark's Kafka client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Kafka option {key} cannot be given to Spark's Kafka client: {why}")]
pub struct JavaOptionError {
    /// The option as given.
    pub key: String,
    /// What to do instead.
    pub why: String,
}

/// Options that only tune librdkafka's own clients (queues, batching, logging) or that Spark's
/// source and sink set themselves (group, offsets, acknowledgements): they stay with librdkafka.
const LIBRDKAFKA_ONLY: &[&str] = &[
    "acks",
    "api.version.request",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "batch.num.messages",
    "batch.size",
    "broker.address.family",
    "compression.codec",
    "compression.type",
    "debug",
    "delivery.timeout.ms",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "enable.idempotence",
    "enable.partition.eof",
    "fetch.error.backoff.ms",
    "group.id",
    "linger.ms",
    "log.connection.close",
    "log_level",
    "message.max.bytes",
    "message.timeout.ms",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "queue.buffering.max.ms",
    "queued.max.messages.kbytes",
    "queued.min.messages",
    "socket.keepalive.enable",
    "socket.nagle.disable",
    "statistics.interval.ms",
    "topic.metadata.refresh.interval.ms",
];

/// Options both clients name alike and read the same way.
const SAME: &[&str] = &[
    "bootstrap.servers",
    "client.id",
    "client.rack",
    "connections.max.idle.ms",
    "fetch.max.bytes",
    "fetch.min.bytes",
    "heartbeat.interval.ms",
    "isolation.level",
    "max.in.flight.requests.per.connection",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "metadata.max.age.ms",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.timeout.ms",
    "retry.backoff.ms",
    "sasl.kerberos.service.name",
    "sasl.mechanism",
    "session.timeout.ms",
    "socket.connection.setup.timeout.ms",
    "ssl.key.password",
    "ssl.keystore.location",
    "ssl.keystore.password",
];

/// Options the Java client knows under another name.
const RENAMED: &[(&str, &str)] = &[
    ("fetch.wait.max.ms", "fetch.max.wait.ms"),
    ("sasl.mechanisms", "sasl.mechanism"),
    ("socket.receive.buffer.bytes", "receive.buffer.bytes"),
    ("socket.send.buffer.bytes", "send.buffer.bytes"),
];

/// PEM certificates and keys: the librdkafka option, the Java store whose type becomes `PEM`,
/// and the Java option that takes the value.
const PEM: &[(&str, &str, &str)] = &[
    (
        "ssl.ca.location",
        "ssl.truststore.type",
        "ssl.truststore.location",
    ),
    (
        "ssl.ca.pem",
        "ssl.truststore.type",
        "ssl.truststore.certificates",
    ),
    (
        "ssl.certificate.pem",
        "ssl.keystore.type",
        "ssl.keystore.certificate.chain",
    ),
    ("ssl.key.pem", "ssl.keystore.type", "ssl.keystore.key"),
];

/// The Java client's options for `kafka`, without the `kafka.` prefix Spark wants: the
/// bootstrap servers, then each pass-through option translated. Later options win, as they do
/// for librdkafka.
pub fn java_options(kafka: &KafkaConfig) -> Result<Vec<(String, String)>, JavaOptionError> {
    let mut out = Java::default();
    out.set("bootstrap.servers", &kafka.bootstrap_servers);
    let given = |key: &str| {
        kafka
            .options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let refuse = |key: &str, why: &str| JavaOptionError {
        key: key.to_owned(),
        why: why.to_owned(),
    };
    for (key, value) in &kafka.options {
        let key = key.as_str();
        if LIBRDKAFKA_ONLY.contains(&key) {
            continue;
        }
        if SAME.contains(&key) {
            out.set(key, value);
        } else if let Some((_, java)) = RENAMED.iter().find(|(k, _)| *k == key) {
            out.set(java, value);
        } else {
            match key {
                "security.protocol" => out.set(key, &value.to_ascii_uppercase()),
                "ssl.endpoint.identification.algorithm" => match value.as_str() {
                    "none" => out.set(key, ""),
                    "https" => out.set(key, "https"),
                    _ => return Err(refuse(key, "it takes none or https")),
                },
                "sasl.username" | "sasl.password" => {}
                _ if PEM.iter().any(|(k, ..)| *k == key) => {
                    for (_, store, java) in PEM.iter().filter(|(k, ..)| *k == key) {
                        out.set(store, "PEM");
                        out.set(java, value);
                    }
                }
                "ssl.certificate.location" | "ssl.key.location" => {
                    return Err(refuse(
                        key,
                        "the Java client reads a client certificate and key from one keystore; \
                         give them inline as ssl.certificate.pem and ssl.key.pem, or as a \
                         PKCS#12 file with ssl.keystore.location and ssl.keystore.password",
                    ))
                }
                "enable.ssl.certificate.verification" if value == "true" => {}
                "enable.ssl.certificate.verification" => {
                    return Err(refuse(
                        key,
                        "the Java client always verifies the brokers' certificates; give their \
                         CA with ssl.ca.location instead",
                    ))
                }
                _ if key.starts_with("sasl.oauthbearer") => {
                    return Err(refuse(
                        key,
                        "OAUTHBEARER is not translated yet; use PLAIN or SCRAM for Spark's jobs",
                    ))
                }
                _ => {
                    return Err(refuse(
                        key,
                        "it has no Java client equivalent that kafka-demo knows of",
                    ))
                }
            }
        }
    }
    if let Some(user) = given("sasl.username") {
        let password = given("sasl.password").ok_or_else(|| {
            refuse(
                "sasl.username",
                "it needs sasl.password too, to make the Java client's login",
            )
        })?;
        let mechanism = out.get("sasl.mechanism").unwrap_or("GSSAPI").to_owned();
        let module = match mechanism.as_str() {
            "PLAIN" => "org.apache.kafka.common.security.plain.PlainLoginModule",
            "SCRAM-SHA-256" | "SCRAM-SHA-512" => {
                "org.apache.kafka.common.security.scram.ScramLoginModule"
            }
            other => {
                return Err(refuse(
                    "sasl.username",
                    &format!(
                        "a user and password log in with sasl.mechanism PLAIN, SCRAM-SHA-256 or \
                         SCRAM-SHA-512, not {other}"
                    ),
                ))
            }
        };
        out.set(
            "sasl.jaas.config",
            &format!(
                "{module} required username={} password={};",
                jaas_quoted(user),
                jaas_quoted(password)
            ),
        );
    } else if given("sasl.password").is_some() {
        return Err(refuse(
            "sasl.password",
            "it needs sasl.username too, to make the Java client's login",
        ));
    }
    Ok(out.0)
}

/// A value of a JAAS login line in double quotes; the parser reads backslash escapes there.
fn jaas_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Options in order, each key once (a later value replaces the earlier one in place).
#[derive(Default)]
struct Java(Vec<(String, String)>);

impl Java {
    fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => value.clone_into(v),
            None => self.0.push((key.to_owned(), value.to_owned())),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kafka(options: &[(&str, &str)]) -> KafkaConfig {
        KafkaConfig {
            bootstrap_servers: "127.0.0.1:9093".into(),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn get<'a>(options: &'a [(String, String)], key: &str) -> Option<&'a str> {
        options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn scram_over_tls_becomes_a_jaas_login_and_a_pem_truststore() {
        let options = java_options(&kafka(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "demo"),
            ("sasl.password", r#"p"a\ss"#),
            ("ssl.ca.location", "/certs/ca.pem"),
            ("linger.ms", "50"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&options, "bootstrap.servers"), Some("127.0.0.1:9093"));
        assert_eq!(get(&options, "security.protocol"), Some("SASL_SSL"));
        assert_eq!(get(&options, "sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(
            get(&options, "sasl.jaas.config"),
            Some(
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="demo" password="p\"a\\ss";"#
            )
        );
        assert_eq!(get(&options, "ssl.truststore.type"), Some("PEM"));
        assert_eq!(
            get(&options, "ssl.truststore.location"),
            Some("/certs/ca.pem")
        );
        assert_eq!(get(&options, "linger.ms"), None, "librdkafka's own tuning");
        assert_eq!(get(&options, "sasl.username"), None);
    }

    #[test]
    fn plain_logins_use_the_plain_module_and_later_options_win() {
        let options = java_options(&kafka(&[
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "first"),
            ("sasl.username", "key"),
            ("sasl.password", "secret"),
            ("bootstrap.servers", "broker.example:9092"),
            ("ssl.endpoint.identification.algorithm", "none"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            get(&options, "sasl.jaas.config"),
            Some(
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="key" password="secret";"#
            )
        );
        assert_eq!(
            get(&options, "bootstrap.servers"),
            Some("broker.example:9092")
        );
        assert_eq!(
            get(&options, "ssl.endpoint.identification.algorithm"),
            Some("")
        );
    }

    #[test]
    fn inline_pem_certificates_make_a_pem_keystore() {
        let options = java_options(&kafka(&[
            ("ssl.certificate.pem", "-----BEGIN CERTIFICATE-----"),
            ("ssl.key.pem", "-----BEGIN PRIVATE KEY-----"),
            ("ssl.ca.pem", "-----BEGIN CERTIFICATE----- ca"),
            ("fetch.wait.max.ms", "100"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&options, "ssl.keystore.type"), Some("PEM"));
        assert_eq!(
            get(&options, "ssl.keystore.certificate.chain"),
            Some("-----BEGIN CERTIFICATE-----")
        );
        assert_eq!(
            get(&options, "ssl.keystore.key"),
            Some("-----BEGIN PRIVATE KEY-----")
        );
        assert_eq!(get(&options, "ssl.truststore.type"), Some("PEM"));
        assert_eq!(
            get(&options, "ssl.truststore.certificates"),
            Some("-----BEGIN CERTIFICATE----- ca")
        );
        assert_eq!(get(&options, "fetch.max.wait.ms"), Some("100"));
    }

    #[test]
    fn options_without_a_translation_are_refused_by_name() {
        for (options, key) in [
            (vec![("ssl.key.location", "/k.pem")], "ssl.key.location"),
            (
                vec![("enable.ssl.certificate.verification", "false")],
                "enable.ssl.certificate.verification",
            ),
            (
                vec![("sasl.oauthbearer.client.id", "x")],
                "sasl.oauthbearer.client.id",
            ),
            (vec![("no.such.option", "1")], "no.such.option"),
            (vec![("sasl.username", "u")], "sasl.username"),
            (vec![("sasl.password", "p")], "sasl.password"),
            (
                vec![("sasl.username", "u"), ("sasl.password", "p")],
                "sasl.username",
            ),
        ] {
            match java_options(&kafka(&options)) {
                Err(e) => {
                    assert_eq!(e.key, key);
                    assert!(e.to_string().contains(key), "{e}");
                }
                Ok(o) => panic!("{options:?} was accepted as {o:?}"),
            }
        }
    }

    #[test]
    fn a_password_never_appears_in_an_error() {
        let e = java_options(&kafka(&[
            ("sasl.mechanism", "GSSAPI"),
            ("sasl.username", "u"),
            ("sasl.password", "hunter2"),
        ]))
        .err()
        .unwrap_or_else(|| panic!("GSSAPI with a password was accepted"));
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
