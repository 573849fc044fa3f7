//! The room kept on disk, so a restarted bridge finds every attendee with their completed steps
//! and the evidence behind them: written whole to a temporary file beside the room file and
//! renamed over it (a crash leaves the old room or the new one, never half of one), a moment
//! after each change.

use super::roster::{Attendees, SavedRoom, SAVED_ROOM_VERSION};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Changes within this long after one are saved together.
const SAVE_AFTER: Duration = Duration::from_millis(200);

/// Why a saved room could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RoomFileError {
    /// Reading failed.
    #[error("cannot read the workshop room {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a room this bridge wrote.
    #[error("{path} is not a workshop room this kafka-demo can read ({reason}); move it away, or start with --new-room")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The room saved at `path`; an empty room when there is no file yet.
pub(crate) async fn load(path: &Path) -> Result<SavedRoom, RoomFileError> {
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SavedRoom::default()),
        Err(source) => {
            return Err(RoomFileError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let unreadable = |reason: String| RoomFileError::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let room: SavedRoom = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    if room.version != SAVED_ROOM_VERSION {
        return Err(unreadable(format!(
            "format {}, this bridge reads format {SAVED_ROOM_VERSION}",
            room.version
        )));
    }
    Ok(room)
}

/// Saves the room at `path` after every change until `shutdown`, and once more then.
pub(crate) async fn keep(attendees: Arc<Attendees>, path: PathBuf, shutdown: CancellationToken) {
    let mut changes = attendees.changes.subscribe();
    let mut saved = SavedRoom::default();
    loop {
        let stopping = tokio::select! {
            changed = changes.changed() => changed.is_err(),
            () = shutdown.cancelled() => true,
        };
        if !stopping {
            // Gather the burst of changes one event brings (a check, a roster update).
            tokio::select! {
                () = tokio::time::sleep(SAVE_AFTER) => {}
                () = shutdown.cancelled() => {}
            }
        }
        changes.mark_unchanged();
        let room = attendees.saved();
        if room != saved {
            match save(&path, &room).await {
                Ok(()) => saved = room,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot save the workshop room")
                }
            }
        }
        if stopping {
            return;
        }
    }
}

/// Writes `room` to a temporary file beside `path` and renames it over `path`.
async fn save(path: &Path, room: &SavedRoom) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(room).map_err(std::io::Error::other)?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".saving");
    let temporary = PathBuf::from(temporary);
    let file = tokio::fs::File::create(&temporary).await?;
    let mut file = tokio::io::BufWriter::new(file);
    tokio::io::AsyncWriteExt::write_all(&mut file, &bytes).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    file.into_inner().sync_all().await?;
    tokio::fs::rename(&temporary, path).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::workshop::{AttendeeName, Limits, Step, StepCheck, StepState};

    fn refused() -> pipeline::workshop::seen::Seen {
        let mut seen = pipeline::workshop::seen::Seen::default();
        seen.refused = true;
        seen
    }

    fn name(text: &str) -> AttendeeName {
        AttendeeName::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn a_saved_room_comes_back_with_progress_and_evidence() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("workshop").join("room.json");
        assert_eq!(
            load(&path).await.ok(),
            Some(SavedRoom::default()),
            "no file: empty"
        );
        let before = Arc::new(Attendees::new("k".into(), Limits::default()));
        let ada = name("ada");
        before.restore(SavedRoom {
            version: SAVED_ROOM_VERSION,
            attendees: vec![super::super::roster::SavedAttendee {
                name: ada.clone(),
                progress: shared::workshop::Progress::default(),
                seen: refused(),
                joined_at_ms: 3,
            }],
        });
        let passed = StepCheck::verdict(Step::Schema, StepState::Passed, "ok".into(), vec![]);
        let stored = before.record(
            &ada,
            0,
            &StepCheck {
                checked_at_ms: 7,
                ..passed
            },
            false,
        );
        assert_eq!(stored.passed_at_ms, 7);
        let shutdown = CancellationToken::new();
        let keeper = tokio::spawn(keep(Arc::clone(&before), path.clone(), shutdown.clone()));
        shutdown.cancel();
        keeper.await.unwrap_or_else(|e| panic!("{e}"));
        let room = load(&path).await.unwrap_or_else(|e| panic!("{e}"));
        let after = Attendees::new("k".into(), Limits::default());
        after.restore(room);
        let roster = after.roster.borrow().clone();
        assert_eq!(roster.len(), 1);
        assert!(!roster[0].connected, "nobody holds a name after a restart");
        assert_eq!(roster[0].progress.done(), 1);
        assert_eq!(roster[0].progress.steps[0].passed_at_ms, 7);
        assert!(
            after.saved().attendees[0].seen.refused,
            "the evidence came back"
        );
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_room_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("room.json");
        tokio::fs::write(&path, b"{\"version\": 99, \"attendees\": []}")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let refused = load(&path).await.map(|_| ()).map_err(|e| e.to_string());
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("--new-room") && e.contains("format 99")),
            "{refused:?}"
        );
        tokio::fs::write(&path, b"not json")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(load(&path).await.is_err());
    }
}
