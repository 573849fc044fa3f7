//! Answers to the page's schema requests: subjects and versions, schemas by id, registering,
//! compatibility checks and levels, and the schema files kafka-demo ships. Registry failures
//! become an [`ErrorInfo`] whose message a person can act on; the full cause goes to the log.

use crate::state::AppState;
use futures_util::StreamExt as _;
use pipeline::registry::{self, RegistryError};
use pipeline::schema_step::{self, StepError};
use shared::protocol::{
    CompatLevel, ErrorCode, ErrorInfo, Example, Response, SubjectInfo, SubjectVersion, VersionRef,
};
use shared::workshop::AttendeeName;
use shared::{SchemaId, Subject, Topic};

/// Version lists asked of the registry at once when listing subjects.
const VERSION_LOOKUPS: usize = 8;

/// The registry client, or the reason there is none.
pub(crate) fn client(state: &AppState) -> Result<&registry::Client, ErrorInfo> {
    state.cluster.registry.as_ref().ok_or_else(|| ErrorInfo {
        code: ErrorCode::Internal,
        message: "the bridge could not set up its registry client".into(),
    })
}

/// Every subject with its versions; an attendee's list holds only their own subjects.
pub(crate) async fn list_subjects(
    state: &AppState,
    attendee: Option<&AttendeeName>,
) -> Result<Response, ErrorInfo> {
    let client = client(state)?;
    let registry_failure = |e: RegistryError| registry_error(e, client);
    // Tabs asking at once share one call of the subject list (see `joined`).
    let lister = client.clone();
    let mut subjects = state
        .cluster
        .subject_names
        .call(move || {
            let client = lister.clone();
            async move {
                client
                    .subjects()
                    .await
                    .map_err(|e| registry_error(e, &client))
            }
        })
        .await
        .unwrap_or_else(|| {
            Err(ErrorInfo {
                code: ErrorCode::Internal,
                message: "the bridge's subject list ended without an answer".into(),
            })
        })?;
    // An attendee sees only their own subjects: leave the others out before asking for
    // their versions, so a list costs the same however many attendees there are.
    if let Some(who) = attendee {
        subjects.retain(|s| who.owns_subject(s));
    }
    let all = futures_util::stream::iter(subjects)
        .map(|subject| async move {
            let versions = client.versions(&subject).await?;
            Ok(SubjectInfo { subject, versions })
        })
        .buffered(VERSION_LOOKUPS)
        .collect::<Vec<Result<SubjectInfo, RegistryError>>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(registry_failure)?;
    Ok(Response::Subjects(all))
}

/// One version of a subject.
pub(crate) async fn get_schema(
    client: &registry::Client,
    subject: &Subject,
    version: VersionRef,
) -> Result<Response, ErrorInfo> {
    let version = match version {
        VersionRef::Latest => "latest".to_owned(),
        VersionRef::Number(n) => n.to_string(),
    };
    let found = client
        .version(subject, &version)
        .await
        .map_err(|e| registry_error(e, client))?;
    Ok(Response::Schema(registered(found)))
}

/// A schema by its id, with the subjects and versions that use it.
pub(crate) async fn get_schema_by_id(
    client: &registry::Client,
    id: SchemaId,
) -> Result<Response, ErrorInfo> {
    let schema = client
        .schema_by_id(id)
        .await
        .map_err(|e| registry_error(e, client))?;
    // Which subjects use it is a nicety: a registry without the endpoint still answers.
    let versions = client
        .versions_of_id(id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(subject, version)| SubjectVersion { subject, version })
        .collect();
    Ok(Response::SchemaText {
        id,
        schema,
        versions,
    })
}

/// Registers `schema` under the topic's value subject (seed step 1).
pub(crate) async fn register(
    client: &registry::Client,
    topic: &Topic,
    schema: &str,
) -> Result<Response, ErrorInfo> {
    let done = schema_step::register(client, topic, schema)
        .await
        .map_err(|e| step_error(e, client))?;
    Ok(Response::Schema(registered(done)))
}

/// Whether `schema` could be registered under the topic's value subject.
pub(crate) async fn check_compatibility(
    client: &registry::Client,
    topic: &Topic,
    schema: &str,
) -> Result<Response, ErrorInfo> {
    let report = schema_step::check(client, topic, schema)
        .await
        .map_err(|e| step_error(e, client))?;
    Ok(Response::Compatibility(report))
}

/// The compatibility level of a subject, or the global one.
pub(crate) async fn get_compatibility(
    client: &registry::Client,
    subject: Option<Subject>,
) -> Result<Response, ErrorInfo> {
    let level = client
        .compatibility(subject.as_ref())
        .await
        .map_err(|e| registry_error(e, client))?;
    Ok(Response::Level { subject, level })
}

/// Sets the compatibility level of a subject, or the global one.
pub(crate) async fn set_compatibility(
    client: &registry::Client,
    subject: Option<Subject>,
    level: CompatLevel,
) -> Result<Response, ErrorInfo> {
    let level = client
        .set_compatibility(subject.as_ref(), level.as_str())
        .await
        .map_err(|e| registry_error(e, client))?;
    Ok(Response::Level { subject, level })
}

/// One of the schema files kafka-demo ships.
pub(crate) fn example(example: Example) -> Response {
    let (file, text) = example_text(example);
    Response::Example {
        example,
        file: file.into(),
        text: text.into(),
    }
}

/// A registered schema as the page receives it.
pub(crate) fn registered(r: registry::Registered) -> shared::protocol::RegisteredSchema {
    shared::protocol::RegisteredSchema {
        subject: r.subject,
        version: r.version,
        id: r.id,
        schema: r.schema,
    }
}

fn step_error(error: StepError, client: &registry::Client) -> ErrorInfo {
    match error {
        StepError::Invalid(problem) => ErrorInfo {
            code: ErrorCode::InvalidSchema,
            message: format!("The schema is not valid: {problem}"),
        },
        StepError::Registry(e) => registry_error(e, client),
    }
}

/// A registry failure in words for the page.
fn registry_error(error: RegistryError, client: &registry::Client) -> ErrorInfo {
    tracing::debug!(error = ?error, "registry request failed");
    let (code, message) = match &error {
        RegistryError::Unreachable { reason, .. } => (
            ErrorCode::RegistryUnreachable,
            format!("The schema registry at {} is not answering ({reason}). Is the stack up? Run `kafka-demo stack up`.", client.url()),
        ),
        RegistryError::Api { code: Some(registry::SUBJECT_NOT_FOUND), .. } => (ErrorCode::NotFound, "That subject has no versions registered.".into()),
        RegistryError::Api { code: Some(registry::VERSION_NOT_FOUND), .. } => (ErrorCode::NotFound, "That version does not exist.".into()),
        RegistryError::Api { code: Some(registry::SCHEMA_NOT_FOUND), .. } => (ErrorCode::NotFound, "No schema has that id.".into()),
        RegistryError::Api { status: 409, message, .. } => (ErrorCode::Incompatible, format!("The registry refused the schema as incompatible: {}", registry_words(message))),
        RegistryError::Api { status: 422, message, .. } => (ErrorCode::InvalidSchema, format!("The registry refused the schema: {}", registry_words(message))),
        RegistryError::Api { message, status, .. } => (ErrorCode::RegistryError, format!("The registry answered with an error (HTTP {status}): {}", registry_words(message))),
        RegistryError::Decode { .. } | RegistryError::Client(_) | RegistryError::References(_) => (ErrorCode::RegistryError, error.to_string()),
    };
    ErrorInfo { code, message }
}

/// Registry messages sometimes lead with a Java exception class; people do not need it.
fn registry_words(message: &str) -> &str {
    match message.split_once("Exception: ") {
        Some((_, rest)) => rest,
        None => message,
    }
}

/// The schema files kafka-demo ships, built into the binary.
pub(crate) fn example_text(example: Example) -> (&'static str, &'static str) {
    match example {
        Example::ClickV1 => ("click_v1.avsc", include_str!("../../schemas/click_v1.avsc")),
        Example::ClickV2 => ("click_v2.avsc", include_str!("../../schemas/click_v2.avsc")),
        Example::ClickIncompatible => (
            "click_incompatible.avsc",
            include_str!("../../schemas/examples/click_incompatible.avsc"),
        ),
        Example::ClickSeed => (
            "click_seed.avsc",
            include_str!("../../schemas/examples/click_seed.avsc"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_class_names_are_dropped_from_registry_messages() {
        assert_eq!(
            registry_words(
                "io.apicurio.registry.rules.RuleViolationException: Incompatible artifact: x"
            ),
            "Incompatible artifact: x"
        );
        assert_eq!(registry_words("plain"), "plain");
    }

    #[test]
    fn examples_are_the_shipped_files() {
        assert!(example_text(Example::ClickV1)
            .1
            .contains("\"name\": \"click\""));
        assert!(example_text(Example::ClickV2).1.contains("country"));
        assert!(example_text(Example::ClickIncompatible)
            .1
            .contains("campaign_id"));
        assert!(example_text(Example::ClickSeed)
            .1
            .contains("\"float\" },\n"));
    }
}
