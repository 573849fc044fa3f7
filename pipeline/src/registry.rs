//! A client for any Confluent-compatible schema registry (Confluent's own, Apicurio's `ccompat`
//! API, Redpanda, Karapace): subjects, versions, registration, compatibility checks and levels.

use crate::settings::{RegistryAuth, RegistryConfig};
use serde::{Deserialize, Serialize};
use shared::{SchemaId, Subject};
use std::time::Duration;

/// Registry error code: the subject does not exist.
pub const SUBJECT_NOT_FOUND: i64 = 40401;
/// Registry error code: the version does not exist.
pub const VERSION_NOT_FOUND: i64 = 40402;
/// Registry error code: the schema does not exist.
pub const SCHEMA_NOT_FOUND: i64 = 40403;

/// What went wrong talking to the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Nothing answered, or the connection broke.
    #[error("cannot reach the schema registry at {url}: {reason}")]
    Unreachable {
        /// The registry's base URL.
        url: String,
        /// Why (connection refused, timeout…).
        reason: String,
    },
    /// The registry answered with an error.
    #[error("the schema registry refused {action}: {message} (HTTP {status}{})",
            code.map(|c| format!(", error {c}")).unwrap_or_default())]
    Api {
        /// What we asked for, e.g. "registering a schema under clicks-avro-value".
        action: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code, when it gave one.
        code: Option<i64>,
        /// The registry's message.
        message: String,
    },
    /// The answer was not what the API defines.
    #[error("unexpected answer from the schema registry while {action}: {reason}")]
    Decode {
        /// What we asked for.
        action: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    /// A schema's references cannot be followed or do not fit it.
    #[error("the schema's references do not resolve: {0}")]
    References(String),
}

impl RegistryError {
    /// The registry's error code, if this is an API error.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }
}

/// A schema as registered under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The subject.
    pub subject: Subject,
    /// Version under the subject.
    pub version: u32,
    /// Global id, written into every record's header.
    pub id: SchemaId,
    /// The schema text as the registry stores it.
    pub schema: String,
}

/// The answer to a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compatibility {
    /// Whether the candidate may be registered.
    pub compatible: bool,
    /// The registry's reasons, when it gives any.
    pub messages: Vec<String>,
}

#[derive(Serialize)]
struct SchemaRequest<'a> {
    schema: &'a str,
    #[serde(rename = "schemaType")]
    schema_type: &'a str,
    #[serde(skip_serializing_if = "<[Reference]>::is_empty")]
    references: &'a [Reference],
}

/// A schema reference: the name a schema uses for a type that a version of another subject
/// defines (the registry's `references`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The type's full name, as the schema uses it.
    pub name: String,
    /// The subject whose version defines it.
    pub subject: String,
    /// That version.
    pub version: u32,
}

/// How long a chain of references may be (a schema referring to one that refers …).
const MAX_REFERENCE_DEPTH: usize = 8;

#[derive(Deserialize)]
struct IdResponse {
    id: u32,
}

#[derive(Deserialize)]
struct VersionResponse {
    subject: Option<String>,
    version: u32,
    id: u32,
    schema: String,
    #[serde(default)]
    references: Vec<Reference>,
}

impl VersionResponse {
    /// The version as [`Registered`], with `schema` as its text; `subject` when the registry
    /// does not name it.
    fn registered(self, subject: &Subject, schema: String) -> Registered {
        Registered {
            subject: self
                .subject
                .and_then(|s| Subject::new(s).ok())
                .unwrap_or_else(|| subject.clone()),
            version: self.version,
            id: SchemaId(self.id),
            schema,
        }
    }
}

#[derive(Deserialize)]
struct CompatibilityResponse {
    is_compatible: bool,
    #[serde(default)]
    messages: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigResponse {
    #[serde(rename = "compatibilityLevel", alias = "compatibility")]
    level: String,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error_code: Option<i64>,
    message: Option<String>,
}

/// `request` with the credentials `auth` gives, if any.
pub fn authorize(
    request: reqwest::RequestBuilder,
    auth: Option<&RegistryAuth>,
) -> reqwest::RequestBuilder {
    match auth {
        Some(RegistryAuth::Basic { user, password }) => {
            request.basic_auth(user, password.as_ref().map(|p| p.reveal()))
        }
        Some(RegistryAuth::Bearer(token)) => request.bearer_auth(token.reveal()),
        None => request,
    }
}

/// A registry client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    auth: Option<RegistryAuth>,
}

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// How many of a subject's latest versions a registration compares its text with.
const SAME_VERSIONS_LOOKED_AT: usize = 20;

impl Client {
    /// A client for the registry in `config`.
    pub fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| RegistryError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base: config.url.clone(),
            auth: config.auth.clone(),
        })
    }

    /// The registry's base URL.
    pub fn url(&self) -> &url::Url {
        &self.base
    }

    fn url_for(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        action: String,
    ) -> Result<T, RegistryError> {
        let request = authorize(request, self.auth.as_ref());
        let response = request
            .header("Accept", CONTENT_TYPE)
            .send()
            .await
            .map_err(|e| RegistryError::Unreachable {
                url: self.base.to_string(),
                reason: plain_reason(&e),
            })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| RegistryError::Unreachable {
                url: self.base.to_string(),
                reason: plain_reason(&e),
            })?;
        if !status.is_success() {
            let parsed: Option<ErrorResponse> = serde_json::from_str(&body).ok();
            let (code, message) = match parsed {
                Some(e) => (e.error_code, e.message.unwrap_or_default()),
                None => (None, body.chars().take(300).collect()),
            };
            return Err(RegistryError::Api {
                action,
                status: status.as_u16(),
                code,
                message,
            });
        }
        serde_json::from_str(&body).map_err(|e| RegistryError::Decode {
            action,
            reason: e.to_string(),
        })
    }

    /// All subjects.
    pub async fn subjects(&self) -> Result<Vec<Subject>, RegistryError> {
        let names: Vec<String> = self
            .send(
                self.http.get(self.url_for(&["subjects"])),
                "listing subjects".into(),
            )
            .await?;
        Ok(names
            .into_iter()
            .filter_map(|n| Subject::new(n).ok())
            .collect())
    }

    /// Version numbers under `subject`.
    pub async fn versions(&self, subject: &Subject) -> Result<Vec<u32>, RegistryError> {
        let url = self.url_for(&["subjects", subject.as_str(), "versions"]);
        self.send(
            self.http.get(url),
            format!("listing the versions of {subject}"),
        )
        .await
    }

    /// One version of `subject` ("latest" or a number), self-contained (see
    /// [`Self::schema_by_id`]).
    pub async fn version(
        &self,
        subject: &Subject,
        version: &str,
    ) -> Result<Registered, RegistryError> {
        let v = self
            .stored_version(
                subject,
                version,
                format!("reading version {version} of {subject}"),
            )
            .await?;
        let schema = self
            .self_contained(v.schema.clone(), &v.references, 0)
            .await?;
        Ok(v.registered(subject, schema))
    }

    /// One version of `subject` as the registry stores it, references unresolved.
    async fn stored_version(
        &self,
        subject: &Subject,
        version: &str,
        action: String,
    ) -> Result<VersionResponse, RegistryError> {
        let url = self.url_for(&["subjects", subject.as_str(), "versions", version]);
        self.send(self.http.get(url), action).await
    }

    /// `schema` with the types its `references` name written out (see
    /// [`shared::references::inline`]); unchanged when it has none.
    async fn self_contained(
        &self,
        schema: String,
        references: &[Reference],
        depth: usize,
    ) -> Result<String, RegistryError> {
        if references.is_empty() {
            return Ok(schema);
        }
        let dependencies = self.referenced(references, depth).await?;
        shared::references::inline(&schema, &dependencies).map_err(RegistryError::References)
    }

    /// The self-contained texts of the versions `references` name, `depth` references down
    /// from the schema that uses them.
    async fn referenced(
        &self,
        references: &[Reference],
        depth: usize,
    ) -> Result<Vec<String>, RegistryError> {
        if depth >= MAX_REFERENCE_DEPTH {
            return Err(RegistryError::References(format!(
                "references nest more than {MAX_REFERENCE_DEPTH} deep"
            )));
        }
        let mut dependencies = Vec::with_capacity(references.len());
        for r in references {
            let subject = Subject::new(r.subject.clone())
                .map_err(|e| RegistryError::References(format!("{}: {e}", r.subject)))?;
            let v = self
                .stored_version(
                    &subject,
                    &r.version.to_string(),
                    format!(
                        "reading version {} of {subject}, which {} refers to",
                        r.version, r.name
                    ),
                )
                .await?;
            let text = Box::pin(self.self_contained(v.schema, &v.references, depth + 1)).await?;
            dependencies.push(text);
        }
        Ok(dependencies)
    }

    /// Registers an Avro schema under `subject`; registering the same schema again returns the
    /// same id and creates no new version. "The same" is the same JSON: a text that differs from
    /// a registered version only in whitespace or the order of keys finds that version (the
    /// registry itself compares texts and would add a version).
    pub async fn register(
        &self,
        subject: &Subject,
        schema: &str,
    ) -> Result<Registered, RegistryError> {
        self.register_with(subject, schema, &[]).await
    }

    /// Like [`Self::register`], for a schema that uses types other subjects define.
    pub async fn register_with(
        &self,
        subject: &Subject,
        schema: &str,
        references: &[Reference],
    ) -> Result<Registered, RegistryError> {
        if references.is_empty() {
            if let Some(found) = self.same_version(subject, schema).await? {
                return Ok(found);
            }
        }
        let url = self.url_for(&["subjects", subject.as_str(), "versions"]);
        let body = SchemaRequest {
            schema,
            schema_type: "AVRO",
            references,
        };
        let action = format!("registering a schema under {subject}");
        let created: IdResponse = self
            .send(
                self.http
                    .post(url)
                    .header("Content-Type", CONTENT_TYPE)
                    .json(&body),
                action,
            )
            .await?;
        let mut found = self.lookup_with(subject, schema, references).await?;
        // Some registries answer the lookup with a different id form; the registration's id is
        // the one records must carry.
        found.id = SchemaId(created.id);
        Ok(found)
    }

    /// The newest of the last [`SAME_VERSIONS_LOOKED_AT`] versions of `subject` whose text is the
    /// same JSON as `schema`, if any (none when the subject does not exist or `schema` is not
    /// JSON).
    async fn same_version(
        &self,
        subject: &Subject,
        schema: &str,
    ) -> Result<Option<Registered>, RegistryError> {
        let Ok(wanted) = serde_json::from_str::<serde_json::Value>(schema) else {
            return Ok(None);
        };
        let versions = match self.versions(subject).await {
            Ok(versions) => versions,
            Err(e) if e.code() == Some(SUBJECT_NOT_FOUND) => return Ok(None),
            Err(e) => return Err(e),
        };
        // Compared as stored: a version that uses references is never the same as a text
        // registered without them, so nothing needs resolving here.
        for version in versions.iter().rev().take(SAME_VERSIONS_LOOKED_AT) {
            let v = self
                .stored_version(
                    subject,
                    &version.to_string(),
                    format!("reading version {version} of {subject}"),
                )
                .await?;
            let same = v.references.is_empty()
                && serde_json::from_str::<serde_json::Value>(&v.schema)
                    .is_ok_and(|text| text == wanted);
            if same {
                let schema = v.schema.clone();
                return Ok(Some(v.registered(subject, schema)));
            }
        }
        Ok(None)
    }

    /// Finds `schema` among the versions of `subject`.
    pub async fn lookup(
        &self,
        subject: &Subject,
        schema: &str,
    ) -> Result<Registered, RegistryError> {
        self.lookup_with(subject, schema, &[]).await
    }

    async fn lookup_with(
        &self,
        subject: &Subject,
        schema: &str,
        references: &[Reference],
    ) -> Result<Registered, RegistryError> {
        let url = self.url_for(&["subjects", subject.as_str()]);
        let body = SchemaRequest {
            schema,
            schema_type: "AVRO",
            references,
        };
        let action = format!("looking up a schema under {subject}");
        let v: VersionResponse = self
            .send(
                self.http
                    .post(url)
                    .header("Content-Type", CONTENT_TYPE)
                    .json(&body),
                action,
            )
            .await?;
        Ok(Registered {
            subject: subject.clone(),
            version: v.version,
            id: SchemaId(v.id),
            schema: v.schema,
        })
    }

    /// Whether `schema` may follow the latest version of `subject` under its compatibility level.
    /// A subject with no versions yet yields an `Api` error with code [`SUBJECT_NOT_FOUND`].
    pub async fn check(
        &self,
        subject: &Subject,
        schema: &str,
    ) -> Result<Compatibility, RegistryError> {
        let mut url = self.url_for(&[
            "compatibility",
            "subjects",
            subject.as_str(),
            "versions",
            "latest",
        ]);
        url.set_query(Some("verbose=true"));
        let body = SchemaRequest {
            schema,
            schema_type: "AVRO",
            references: &[],
        };
        let action = format!("checking compatibility against {subject}");
        let r: CompatibilityResponse = self
            .send(
                self.http
                    .post(url)
                    .header("Content-Type", CONTENT_TYPE)
                    .json(&body),
                action,
            )
            .await?;
        Ok(Compatibility {
            compatible: r.is_compatible,
            messages: r.messages,
        })
    }

    /// The compatibility level in force for `subject` (its own, else the global one), or the
    /// global one.
    pub async fn compatibility(&self, subject: Option<&Subject>) -> Result<String, RegistryError> {
        let url = match subject {
            Some(s) => {
                let mut url = self.url_for(&["config", s.as_str()]);
                url.set_query(Some("defaultToGlobal=true"));
                url
            }
            None => self.url_for(&["config"]),
        };
        let r: ConfigResponse = self
            .send(self.http.get(url), "reading the compatibility level".into())
            .await?;
        Ok(r.level)
    }

    /// Sets the compatibility level of `subject`, or the global one.
    pub async fn set_compatibility(
        &self,
        subject: Option<&Subject>,
        level: &str,
    ) -> Result<String, RegistryError> {
        let url = match subject {
            Some(s) => self.url_for(&["config", s.as_str()]),
            None => self.url_for(&["config"]),
        };
        let body = serde_json::json!({ "compatibility": level });
        let request = self
            .http
            .put(url)
            .header("Content-Type", CONTENT_TYPE)
            .json(&body);
        let r: ConfigResponse = self
            .send(
                request,
                format!("setting the compatibility level to {level}"),
            )
            .await?;
        Ok(r.level)
    }

    /// Deletes `subject`: a soft delete (its versions are hidden), or a permanent one, which the
    /// registry allows only after a soft delete. Returns the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &Subject,
        permanent: bool,
    ) -> Result<Vec<u32>, RegistryError> {
        let mut url = self.url_for(&["subjects", subject.as_str()]);
        if permanent {
            url.set_query(Some("permanent=true"));
        }
        self.send(self.http.delete(url), format!("deleting {subject}"))
            .await
    }

    /// The schema text with global id `id`.
    /// A schema that uses types of other subjects (`references`) comes back self-contained,
    /// those types written out, so it can be used without the registry.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<String, RegistryError> {
        #[derive(Deserialize)]
        struct SchemaResponse {
            schema: String,
            #[serde(default)]
            references: Vec<Reference>,
        }
        let url = self.url_for(&["schemas", "ids", &id.to_string()]);
        let r: SchemaResponse = self
            .send(self.http.get(url), format!("reading schema id {id}"))
            .await?;
        self.self_contained(r.schema, &r.references, 0).await
    }

    /// The texts of the versions `references` name, each self-contained: what a schema using
    /// them is read with.
    pub async fn referenced_texts(
        &self,
        references: &[Reference],
    ) -> Result<Vec<String>, RegistryError> {
        self.referenced(references, 0).await
    }

    /// The subject versions registered with schema `id`.
    pub async fn versions_of_id(&self, id: SchemaId) -> Result<Vec<(Subject, u32)>, RegistryError> {
        #[derive(Deserialize)]
        struct Entry {
            subject: String,
            version: u32,
        }
        let url = self.url_for(&["schemas", "ids", &id.to_string(), "versions"]);
        let entries: Vec<Entry> = self
            .send(
                self.http.get(url),
                format!("reading the versions of schema id {id}"),
            )
            .await?;
        Ok(entries
            .into_iter()
            .filter_map(|e| Some((Subject::new(e.subject).ok()?, e.version)))
            .collect())
    }
}

/// reqwest's errors chain their causes; the innermost is the one a person can act on.
fn plain_reason(error: &reqwest::Error) -> String {
    let mut reason = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        reason = inner.to_string();
        source = inner.source();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str) -> Result<Client, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        Client::new(&RegistryConfig { url, auth: None }).map_err(|e| e.to_string())
    }

    #[test]
    fn credentials_go_in_the_authorization_header() -> Result<(), String> {
        use crate::settings::Secret;
        let header = |auth: Option<RegistryAuth>| -> Result<Option<String>, String> {
            let request = authorize(reqwest::Client::new().get("http://r:1/"), auth.as_ref())
                .build()
                .map_err(|e| e.to_string())?;
            let value = request.headers().get("authorization");
            Ok(value.and_then(|v| v.to_str().ok()).map(str::to_owned))
        };
        let bearer = RegistryAuth::Bearer(Secret::new("t0ken"));
        assert_eq!(header(Some(bearer))?.as_deref(), Some("Bearer t0ken"));
        let basic = RegistryAuth::Basic {
            user: "u".into(),
            password: Some(Secret::new("p")),
        };
        // base64("u:p")
        assert_eq!(header(Some(basic))?.as_deref(), Some("Basic dTpw"));
        assert_eq!(header(None)?, None);
        Ok(())
    }

    #[test]
    fn subjects_are_escaped_into_one_path_segment() -> Result<(), String> {
        let c = client("http://r:1/apis/ccompat/v7")?;
        let url = c.url_for(&["subjects", "a/b c", "versions"]);
        assert_eq!(
            url.as_str(),
            "http://r:1/apis/ccompat/v7/subjects/a%2Fb%20c/versions"
        );
        let root = client("http://r:1/")?;
        assert_eq!(root.url_for(&["config"]).as_str(), "http://r:1/config");
        Ok(())
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() -> Result<(), String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let c = client(&format!("http://127.0.0.1:{port}"))?;
        match c.subjects().await {
            Err(RegistryError::Unreachable { reason, .. }) => {
                assert!(reason.to_lowercase().contains("refused"), "{reason}")
            }
            other => return Err(format!("expected Unreachable, got {other:?}")),
        }
        Ok(())
    }
}
