//! Places on the Spark side: where the batch job writes its Parquet tables and where the
//! streaming queries keep their checkpoints.
//!
//! Spark's driver and executors read and write these, not this process, so a location is a
//! Hadoop URI the server resolves (`file:///shared/x`, `hdfs://namenode/x`, `s3a://bucket/x`).
//! A plain path is made absolute here and means `file:` on the Spark server's machine: the same
//! disk only when the server runs beside this process, as the local stack's does. Whether a
//! filesystem for the scheme exists, or the place can be written, only the server can tell;
//! parsing refuses only what no server could use.

use super::guard::{guarded, spark_error, SparkOpError};
use spark_connect_rs::SparkSession;
use std::path::Path;
use std::time::Duration;

/// An absolute Hadoop URI that Spark reads and writes, such as `file:///data/batch/run`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SparkLocation(String);

/// Why a text is not a location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Nothing was given.
    #[error("a location cannot be empty: give a path or a URI such as file:///shared/out")]
    Empty,
    /// A line break or another control character.
    #[error("{text:?} holds a control character")]
    Control {
        /// The text.
        text: String,
    },
    /// The part before the first `:` is not a URI scheme.
    #[error(
        "{text:?} does not start with a URI scheme: {scheme:?} must be a letter followed by \
         letters, digits, '+', '-' or '.' (for a path holding ':', start it with / or ./)"
    )]
    Scheme {
        /// The text.
        text: String,
        /// What stands where the scheme should.
        scheme: String,
    },
    /// `scheme:` not followed by `/`: a URI relative to nothing the server knows.
    #[error("{text:?} is a relative URI: write {scheme}:///path or {scheme}://authority/path")]
    Relative {
        /// The text.
        text: String,
        /// Its scheme.
        scheme: String,
    },
    /// `scheme://` with neither authority nor path.
    #[error("{text:?} names no place after {scheme}://")]
    Nothing {
        /// The text.
        text: String,
        /// Its scheme.
        scheme: String,
    },
    /// A relative path, and no current folder to resolve it against.
    #[error("cannot make {text:?} absolute: {reason}")]
    Absolute {
        /// The text.
        text: String,
        /// Why.
        reason: String,
    },
}

impl SparkLocation {
    /// Reads a location as a person gives it: a URI with a scheme, or a path, made absolute
    /// against the current folder when it is relative.
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        let relative = !text.is_empty() && scheme_of(text).is_none() && !text.starts_with('/');
        let base = if relative {
            std::env::current_dir().map_err(|e| LocationError::Absolute {
                text: text.to_owned(),
                reason: e.to_string(),
            })?
        } else {
            std::path::PathBuf::from("/")
        };
        Self::parse_from(text, &base)
    }

    /// [`parse`](Self::parse) with relative paths resolved against `base`.
    pub fn parse_from(text: &str, base: &Path) -> Result<Self, LocationError> {
        if text.trim().is_empty() {
            return Err(LocationError::Empty);
        }
        if text.chars().any(char::is_control) {
            return Err(LocationError::Control {
                text: text.to_owned(),
            });
        }
        let Some(scheme) = scheme_of(text) else {
            return Ok(Self::local(&base.join(text)));
        };
        let owned = |scheme: &str| (text.to_owned(), scheme.to_owned());
        if !is_scheme(scheme) {
            let (text, scheme) = owned(scheme);
            return Err(LocationError::Scheme { text, scheme });
        }
        let rest = &text[scheme.len() + 1..];
        if !rest.starts_with('/') {
            let (text, scheme) = owned(scheme);
            return Err(LocationError::Relative { text, scheme });
        }
        if rest == "//" {
            let (text, scheme) = owned(scheme);
            return Err(LocationError::Nothing { text, scheme });
        }
        Ok(Self(text.to_owned()))
    }

    /// The `file:` URI of a folder on the machine of the Spark server; a relative `path` is
    /// taken from the current folder. Meant for the defaults under the data folder, which the
    /// local stack's Spark server shares.
    pub fn local(path: &Path) -> Self {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| Path::new("/").join(path));
        let text = absolute.to_string_lossy();
        Self(format!("file://{}", normalise(&text)))
    }

    /// The location `name` inside this one.
    pub fn join(&self, name: &str) -> Self {
        let name = name.trim_start_matches('/');
        if self.0.ends_with('/') {
            Self(format!("{}{name}", self.0))
        } else {
            Self(format!("{}/{name}", self.0))
        }
    }

    /// The URI as Spark is given it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI scheme (`file`, `hdfs`, `s3a`, …).
    pub fn scheme(&self) -> &str {
        scheme_of(&self.0).unwrap_or("file")
    }
}

impl std::fmt::Display for SparkLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SparkLocation {
    type Err = LocationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// A name under a location that nothing is ever written to.
const PROBE: &str = "_kafka-demo-probe";

/// Asks the Spark server whether it can reach `location`, by resolving a read of a place under
/// it that nothing is ever written to: the answer is Spark's "path does not exist" only when a
/// filesystem for the scheme exists on the server and answered (the host resolves, the
/// credentials are accepted). Any other answer is the error. Resolving the read's schema lists
/// the path; no Spark job runs. Whether the place can be written only a write tells.
pub(crate) async fn check_reachable(
    session: &SparkSession,
    location: &SparkLocation,
    timeout: Duration,
) -> Result<(), SparkOpError> {
    let (session, path) = (session.clone(), location.join(PROBE).to_string());
    let found = guarded(timeout, async move {
        session
            .read()
            .format("text")
            .load([path.as_str()])
            .map_err(spark_error)?
            .schema()
            .await
            .map_err(spark_error)
    })
    .await;
    match found {
        Ok(_) => Ok(()),
        Err(e) if is_missing(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether Spark's error says that a path does not exist (its error class `PATH_NOT_FOUND`).
pub(crate) fn is_missing(error: &SparkOpError) -> bool {
    matches!(error, SparkOpError::Spark(message) if message.contains("PATH_NOT_FOUND"))
}

/// The scheme part of `text` as Hadoop's `Path` finds it: the text before a `:` that comes
/// before any `/`.
fn scheme_of(text: &str) -> Option<&str> {
    let colon = text.find(':')?;
    match text.find('/') {
        Some(slash) if slash < colon => None,
        _ => Some(&text[..colon]),
    }
}

/// RFC 3986: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// An absolute path without `.` parts, `..` parts applied, and single slashes.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, LocationError> {
        SparkLocation::parse_from(text, Path::new("/home/ada")).map(|l| l.to_string())
    }

    #[test]
    fn uris_are_kept_as_given() {
        for uri in [
            "file:///shared/x",
            "file:/shared/x",
            "hdfs://namenode:8020/x",
            "s3a://bucket/x",
            "s3a://bucket",
            "abfss://container@account.dfs.core.windows.net/x",
            "foo://x/y",
            "file:///",
        ] {
            assert_eq!(parse(uri).as_deref(), Ok(uri));
        }
    }

    #[test]
    fn paths_become_absolute_file_uris() {
        assert_eq!(parse("/tmp/out").as_deref(), Ok("file:///tmp/out"));
        assert_eq!(parse("out").as_deref(), Ok("file:///home/ada/out"));
        assert_eq!(parse("./a/../b/").as_deref(), Ok("file:///home/ada/b"));
        assert_eq!(parse("/tmp/a:b").as_deref(), Ok("file:///tmp/a:b"));
        assert_eq!(parse("./x:y").as_deref(), Ok("file:///home/ada/x:y"));
        assert_eq!(
            parse("/tmp/with space").as_deref(),
            Ok("file:///tmp/with space")
        );
        assert_eq!(
            SparkLocation::local(Path::new("/data//stream/./t")).as_str(),
            "file:///data/stream/t"
        );
    }

    #[test]
    fn unusable_texts_are_refused_with_the_reason() {
        assert_eq!(parse(""), Err(LocationError::Empty));
        assert_eq!(parse("  "), Err(LocationError::Empty));
        assert!(matches!(
            parse("/tmp/a\nb"),
            Err(LocationError::Control { .. })
        ));
        for (text, scheme) in [(":x", ""), ("1hdfs://x/y", "1hdfs"), ("s3 a://b/x", "s3 a")] {
            assert_eq!(
                parse(text),
                Err(LocationError::Scheme {
                    text: text.into(),
                    scheme: scheme.into()
                }),
                "{text}"
            );
        }
        for text in ["file:x", "hdfs:x/y", "s3a:"] {
            assert!(
                matches!(parse(text), Err(LocationError::Relative { .. })),
                "{text}"
            );
        }
        assert!(matches!(
            parse("hdfs://"),
            Err(LocationError::Nothing { .. })
        ));
        let said = parse("file:out").map_err(|e| e.to_string());
        assert_eq!(
            said,
            Err(
                "\"file:out\" is a relative URI: write file:///path or file://authority/path"
                    .into()
            )
        );
    }

    #[test]
    fn names_join_with_one_slash() {
        let at = |text: &str| {
            SparkLocation::parse_from(text, Path::new("/")).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(at("s3a://b/x").join("totals").as_str(), "s3a://b/x/totals");
        assert_eq!(at("s3a://b/x/").join("totals").as_str(), "s3a://b/x/totals");
        assert_eq!(at("file:///").join("/t").as_str(), "file:///t");
        assert_eq!(at("hdfs://nn/x").scheme(), "hdfs");
        assert_eq!(at("/x").scheme(), "file");
    }
}
