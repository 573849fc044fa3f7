//! What an attendee's page is told, in words an attendee can act on: advice meant for the
//! command line (`kafka-demo …` commands, flags, environment variables) becomes "ask the
//! instructor", and places under the bridge's data folder (paths, or the `file:` URIs Spark is
//! given) are named relative to it.
//!
//! Applied to every message leaving an attendee's session after the bridge has taken note of it
//! (the evidence sees the message as the bridge made it).

use shared::protocol::{BatchOutcome, ErrorInfo, Push, Response, ServerMessage};
use std::path::Path;

/// What replaces advice only the machine running the bridge can follow.
const ASK: &str = "ask the instructor to check the services";

/// Rewrites `message` for an attendee's page; `data_dir` is the bridge's data folder.
pub(crate) fn for_attendee(message: &mut ServerMessage, data_dir: &Path) {
    let fix = |e: &mut ErrorInfo| e.message = page_words(&e.message, data_dir);
    match message {
        ServerMessage::Failed { error, .. } => fix(error),
        ServerMessage::Reply { response, .. } => {
            if let Response::StreamStarted { checkpoint, .. } = response {
                *checkpoint = relative(checkpoint, data_dir);
            }
        }
        ServerMessage::Push(push) => match push {
            Push::TailEnded { error, .. } => fix(error),
            Push::StreamEnded {
                error: Some(error), ..
            } => fix(error),
            Push::StreamNotice { message, .. } => *message = page_words(message, data_dir),
            Push::BatchStage { stage, .. } => *stage = page_words(stage, data_dir),
            Push::BatchDone { outcome, .. } => match outcome {
                BatchOutcome::Failed(error) => fix(error),
                BatchOutcome::Finished(report) => {
                    if let Some(out) = &mut report.output {
                        *out = relative(out, data_dir);
                    }
                }
            },
            Push::Produce(update) => {
                if let Some(finished) = &mut update.finished {
                    if let Some(first) = &mut finished.first_error {
                        *first = page_words(first, data_dir);
                    }
                }
            }
            _ => {}
        },
    }
}

/// `location` (a path or a `file:` URI) below the data folder, or only its last two parts when
/// it lies elsewhere.
fn relative(location: &str, data_dir: &Path) -> String {
    let path = Path::new(location.strip_prefix("file://").unwrap_or(location));
    if let Ok(inside) = path.strip_prefix(data_dir) {
        return inside.to_string_lossy().into_owned();
    }
    let parts: Vec<_> = path.components().rev().take(2).collect();
    let tail: std::path::PathBuf = parts.into_iter().rev().collect();
    tail.to_string_lossy().into_owned()
}

/// `text` without command-line advice: a parenthesis naming a command goes, a clause naming one
/// becomes [`ASK`], and the data folder's path goes from the names of folders within it.
pub(crate) fn page_words(text: &str, data_dir: &Path) -> String {
    let folder = format!("{}/", data_dir.to_string_lossy());
    let text = text
        .replace(&format!("file://{folder}"), "")
        .replace(folder.as_str(), "");
    let text = drop_command_parentheses(&text);
    let mut asked = false;
    let mut sentences = Vec::new();
    for sentence in text.split_inclusive(". ") {
        let mut clauses = Vec::new();
        for clause in sentence.split("; ") {
            if !for_the_command_line(clause) {
                clauses.push(clause.to_owned());
            } else if !asked {
                asked = true;
                let end = if clause.trim_end().ends_with('.') {
                    "."
                } else {
                    ""
                };
                let ask = if clauses.is_empty() {
                    capitalised(ASK)
                } else {
                    ASK.to_owned()
                };
                clauses.push(format!("{ask}{end}"));
            }
        }
        if !clauses.is_empty() {
            let joined = clauses.join("; ");
            let keep_space = sentence.ends_with(". ") && !joined.ends_with(' ');
            sentences.push(if keep_space {
                format!("{}. ", joined.trim_end_matches('.'))
            } else {
                joined
            });
        }
    }
    sentences.concat().trim_end().to_owned()
}

/// Whether a clause tells the reader to run or set something on the bridge's machine.
fn for_the_command_line(clause: &str) -> bool {
    clause.contains("kafka-demo ") || clause.contains("KAFKA_DEMO_") || clause.contains(" --")
}

/// `text` without the parenthesised asides that name a command.
fn drop_command_parentheses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(close) = matching_close(&rest[open..]).map(|c| open + c) else {
            break;
        };
        let aside = &rest[open..=close];
        if for_the_command_line(aside) {
            out.push_str(rest[..open].trim_end());
        } else {
            out.push_str(&rest[..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The index of the `)` closing the `(` that `text` starts with.
fn matching_close(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> String {
        page_words(text, Path::new("/home/teacher/.kafka-demo"))
    }

    #[test]
    fn command_asides_go_and_the_rest_stays() {
        assert_eq!(
            words("topic ana.clicks does not exist (kafka-demo topic list shows the topics there are)"),
            "topic ana.clicks does not exist"
        );
        assert_eq!(
            words("topic ana.clicks does not exist (list topics with `kafka-demo topic list`)"),
            "topic ana.clicks does not exist"
        );
        assert_eq!(
            words("no records (yet) in range"),
            "no records (yet) in range"
        );
    }

    #[test]
    fn command_clauses_become_asking_the_instructor() {
        assert_eq!(
            words("cannot reach Spark Connect at sc://127.0.0.1:23002 (connection refused); start the stack with `kafka-demo stack up`, or point --spark-url (KAFKA_DEMO_SPARK_URL) at a running server"),
            "cannot reach Spark Connect at sc://127.0.0.1:23002 (connection refused); ask the instructor to check the services"
        );
        assert_eq!(
            words("The schema registry at http://127.0.0.1:23081/ is not answering (refused). Is the stack up? Run `kafka-demo stack up`."),
            "The schema registry at http://127.0.0.1:23081/ is not answering (refused). Ask the instructor to check the services."
        );
        let lost = "the connection to Spark Connect was lost (the server stopped, or the network failed); once it runs again (`kafka-demo stack up` for the local stack), run the job again";
        assert_eq!(
            words(lost),
            "the connection to Spark Connect was lost (the server stopped, or the network failed); once it runs again, run the job again"
        );
    }

    #[test]
    fn folders_are_named_within_the_data_folder() {
        assert_eq!(
            words("cannot write /home/teacher/.kafka-demo/stream/ana.clicks-avro/checkpoint"),
            "cannot write stream/ana.clicks-avro/checkpoint"
        );
        assert_eq!(
            words("cannot write file:///home/teacher/.kafka-demo/stream/ana.t/x-1: no"),
            "cannot write stream/ana.t/x-1: no"
        );
        let data = Path::new("/home/teacher/.kafka-demo");
        assert_eq!(
            relative("/home/teacher/.kafka-demo/batch/ana.clicks-avro", data),
            "batch/ana.clicks-avro"
        );
        assert_eq!(
            relative(
                "file:///home/teacher/.kafka-demo/batch/ana.clicks-avro",
                data
            ),
            "batch/ana.clicks-avro"
        );
        assert_eq!(
            relative("/srv/elsewhere/batch/ana.clicks-avro", data),
            "batch/ana.clicks-avro"
        );
    }

    #[test]
    fn every_command_in_a_stream_start_and_a_batch_failure_is_rewritten() {
        let data = Path::new("/d");
        let mut started = ServerMessage::Reply {
            id: shared::protocol::RequestId(1),
            response: Response::StreamStarted {
                job: shared::protocol::JobId(2),
                checkpoint: "file:///d/stream/ana.clicks-avro".into(),
            },
        };
        for_attendee(&mut started, data);
        assert!(matches!(
            started,
            ServerMessage::Reply { response: Response::StreamStarted { ref checkpoint, .. }, .. }
                if checkpoint == "stream/ana.clicks-avro"
        ));
        let mut failed = ServerMessage::Push(Push::BatchDone {
            job: shared::protocol::JobId(3),
            outcome: BatchOutcome::Failed(ErrorInfo {
                code: shared::protocol::ErrorCode::NotFound,
                message:
                    "topic ana.x does not exist (kafka-demo topic list shows the topics there are)"
                        .into(),
            }),
        });
        for_attendee(&mut failed, data);
        let mut stage = ServerMessage::Push(Push::BatchStage {
            job: shared::protocol::JobId(3),
            stage: "writing Parquet to file:///d/batch/ana.clicks-avro".into(),
            elapsed_ms: 5,
        });
        for_attendee(&mut stage, data);
        assert!(matches!(
            stage,
            ServerMessage::Push(Push::BatchStage { ref stage, .. })
                if stage == "writing Parquet to batch/ana.clicks-avro"
        ));
        let ServerMessage::Push(Push::BatchDone {
            outcome: BatchOutcome::Failed(e),
            ..
        }) = failed
        else {
            panic!("still a batch failure");
        };
        assert_eq!(e.message, "topic ana.x does not exist");
    }
}
