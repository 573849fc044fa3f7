//! An attendee's reset: their topics, subjects and data folders go, nothing else.
//!
//! What belongs to an attendee is decided by one pure rule ([`owned`]): a name that starts with
//! `<name>.` and has something after it. Attendee names hold neither `.` nor `_`, so no other
//! attendee's names (nor shared ones) can match. Stopping the attendee's jobs is the server's
//! part; this module only removes what is stored.

use crate::kafka::{self, KafkaOpError};
use crate::registry::{self, RegistryError};
use crate::settings::Config;
use shared::workshop::AttendeeName;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long topic deletion may take.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The data folders that hold per-topic state: stream checkpoints and batch output. The page's
/// jobs put them there as `file:` locations, on the disk the local stack's Spark server shares
/// with the bridge, so a reset removes them from that disk directly.
const DATA_FOLDERS: [&str; 2] = ["stream", "batch"];

/// Why a reset could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Kafka refused or did not answer.
    #[error("resetting {name}: {source}")]
    Kafka {
        /// The attendee.
        name: AttendeeName,
        /// Why.
        source: KafkaOpError,
    },
    /// The registry refused or did not answer.
    #[error("resetting {name}: {source}")]
    Registry {
        /// The attendee.
        name: AttendeeName,
        /// Why.
        source: RegistryError,
    },
    /// A data folder could not be read or removed.
    #[error("resetting {name}: cannot remove {}: {source}", path.display())]
    Folder {
        /// The attendee.
        name: AttendeeName,
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What a reset removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Topics deleted.
    pub topics: Vec<String>,
    /// Subjects deleted.
    pub subjects: Vec<String>,
    /// Folders removed, relative to the data folder.
    pub folders: Vec<String>,
}

/// The names among `names` that belong to `name`: `<name>.` followed by anything.
pub fn owned<'a>(name: &AttendeeName, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let prefix = name.prefix();
    names
        .into_iter()
        .filter(|n| n.len() > prefix.len() && n.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

/// Deletes every topic, subject and data folder of `name`.
pub async fn remove(
    config: &Config,
    client: &registry::Client,
    name: &AttendeeName,
) -> Result<Removed, ResetError> {
    let kafka_failed = |source| ResetError::Kafka {
        name: name.clone(),
        source,
    };
    let all = kafka::list_topics(&config.kafka, KAFKA_TIMEOUT)
        .await
        .map_err(kafka_failed)?;
    let topics = owned(name, all.iter().map(|t| t.name.as_str()));
    let topics = kafka::delete_topics(&config.kafka, &topics, KAFKA_TIMEOUT)
        .await
        .map_err(kafka_failed)?;
    let subjects = remove_subjects(client, name).await?;
    let folders = remove_folders(&config.spark_state, name).await?;
    Ok(Removed {
        topics,
        subjects,
        folders,
    })
}

/// Soft-deletes then permanently deletes each subject of `name`, so its versions and ids are
/// gone and the name can be registered afresh.
async fn remove_subjects(
    client: &registry::Client,
    name: &AttendeeName,
) -> Result<Vec<String>, ResetError> {
    let failed = |source| ResetError::Registry {
        name: name.clone(),
        source,
    };
    let all = client.subjects().await.map_err(failed)?;
    let mine = owned(name, all.iter().map(shared::Subject::as_str));
    for subject in all.iter().filter(|s| mine.iter().any(|m| m == s.as_str())) {
        client
            .delete_subject(subject, false)
            .await
            .map_err(failed)?;
        client.delete_subject(subject, true).await.map_err(failed)?;
    }
    Ok(mine)
}

/// Deletes every version of `subject`, softly and then for good; a subject that is not there
/// counts as removed.
pub async fn remove_subject(
    client: &registry::Client,
    subject: &shared::Subject,
) -> Result<(), registry::RegistryError> {
    for permanent in [false, true] {
        match client.delete_subject(subject, permanent).await {
            Ok(_) => {}
            Err(e) if e.code() == Some(registry::SUBJECT_NOT_FOUND) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes `<data>/stream/<name>.…` and `<data>/batch/<name>.…`.
async fn remove_folders(data_dir: &Path, name: &AttendeeName) -> Result<Vec<String>, ResetError> {
    let mut removed = Vec::new();
    for folder in DATA_FOLDERS {
        let parent = data_dir.join(folder);
        let failed = |path: &Path, source| ResetError::Folder {
            name: name.clone(),
            path: path.to_owned(),
            source,
        };
        let entries = match list(&parent).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(failed(&parent, e)),
        };
        for entry in owned(name, entries.iter().map(String::as_str)) {
            let path = parent.join(&entry);
            tokio::fs::remove_dir_all(&path)
                .await
                .map_err(|e| failed(&path, e))?;
            removed.push(format!("{folder}/{entry}"));
        }
    }
    Ok(removed)
}

/// The entry names of a folder.
async fn list(folder: &Path) -> std::io::Result<Vec<String>> {
    let mut entries = tokio::fs::read_dir(folder).await?;
    let mut names = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> AttendeeName {
        AttendeeName::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_names_under_the_prefix_are_selected() {
        let all = [
            "ada.clicks-avro",
            "ada.clicks-avro-windows",
            "ada.clicks-avro-value",
            "ada.clicks-avro-20240101T000000.000Z",
            "ada.",
            "ada",
            "adam.clicks-avro",
            "ad.clicks-avro",
            "ada-2.clicks-avro",
            "ada_clicks-avro",
            "bob.ada.clicks-avro",
            "clicks-avro",
            "__consumer_offsets",
            ".ada.x",
        ];
        assert_eq!(
            owned(&name("ada"), all),
            vec![
                "ada.clicks-avro",
                "ada.clicks-avro-windows",
                "ada.clicks-avro-value",
                "ada.clicks-avro-20240101T000000.000Z",
            ]
        );
        assert_eq!(owned(&name("adam"), all), vec!["adam.clicks-avro"]);
        assert!(owned(&name("bob"), all)
            .iter()
            .all(|n| n.starts_with("bob.")));
    }

    #[tokio::test]
    async fn folders_of_others_stay() -> Result<(), String> {
        let data = tempfile::tempdir().map_err(|e| e.to_string())?;
        let made = [
            "stream/ada.clicks-avro/checkpoint",
            "stream/adam.clicks-avro",
            "batch/ada.clicks-avro-20240101T000000.000Z",
            "batch/bob.clicks-avro-20240101T000000.000Z",
            "batch/clicks-avro-20240101T000000.000Z",
        ];
        for dir in made {
            std::fs::create_dir_all(data.path().join(dir)).map_err(|e| e.to_string())?;
        }
        let removed = remove_folders(data.path(), &name("ada"))
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(
            removed,
            vec![
                "stream/ada.clicks-avro",
                "batch/ada.clicks-avro-20240101T000000.000Z"
            ]
        );
        for kept in &made[1..] {
            if !kept.starts_with("batch/ada.") {
                assert!(data.path().join(kept).is_dir(), "{kept}");
            }
        }
        assert!(!data.path().join("stream/ada.clicks-avro").exists());
        Ok(())
    }
}
