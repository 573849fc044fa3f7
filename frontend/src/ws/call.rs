//! The socket-free half of a typed call: why a call brings back nothing usable ([`CallError`]),
//! how long each request may take before the page stops waiting, and taking the reply a request
//! calls for out of the bridge's [`Response`]. Pure; tested natively.

use shared::protocol::{ErrorCode, ErrorInfo, Request, Response};
use std::time::Duration;

/// How long an ordinary request may take: far beyond any answer the bridge gives in practice
/// (starting a job answers at once; its progress comes as pushes).
const DEADLINE: Duration = Duration::from_secs(120);
/// Resetting attendees waits for each one's jobs to wind down, one attendee after another.
const RESET_DEADLINE: Duration = Duration::from_secs(600);

/// Why a call brought back no reply of the kind it asked for. Its `Display` is the sentence
/// the page shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The bridge answered with a failure, or the connection was not there or dropped (then
    /// the code is [`ErrorCode::NotConnected`]).
    #[error("{}", .0.message)]
    Failed(ErrorInfo),
    /// No answer came in time.
    #[error("The bridge did not answer within {} seconds; try again.", .0.as_secs())]
    TimedOut(Duration),
    /// The bridge answered with a reply of another kind than the request calls for.
    #[error("The bridge gave an answer the page did not expect; reload the page.")]
    Unexpected,
}

impl CallError {
    /// The bridge's code, when it answered with a failure.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Failed(info) => Some(info.code),
            Self::TimedOut(_) | Self::Unexpected => None,
        }
    }
}

/// How long the page waits for the answer to `request`.
pub fn deadline(request: &Request) -> Duration {
    match request {
        Request::ResetAttendees { .. } => RESET_DEADLINE,
        _ => DEADLINE,
    }
}

/// The reply `pick` takes out of `reply`, or why there is none.
pub fn settle<T>(
    reply: Result<Response, ErrorInfo>,
    pick: impl FnOnce(Response) -> Option<T>,
) -> Result<T, CallError> {
    pick(reply.map_err(CallError::Failed)?).ok_or(CallError::Unexpected)
}

/// Takes nothing out of a reply: for requests that only need doing, whatever they answer.
pub fn done(_: Response) -> Option<()> {
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::SubjectInfo;

    fn subjects(reply: Response) -> Option<Vec<SubjectInfo>> {
        match reply {
            Response::Subjects(all) => Some(all),
            _ => None,
        }
    }

    #[test]
    fn the_reply_asked_for_is_taken_out() {
        assert_eq!(settle(Ok(Response::Subjects(vec![])), subjects), Ok(vec![]));
        assert_eq!(settle(Ok(Response::Done), done), Ok(()));
    }

    #[test]
    fn another_kind_of_reply_is_a_typed_error() {
        let wrong = settle(Ok(Response::Done), subjects);
        assert_eq!(wrong, Err(CallError::Unexpected));
        assert!(wrong.is_err_and(|e| e.to_string().contains("did not expect")));
    }

    #[test]
    fn a_failure_keeps_the_bridge_s_code_and_words() {
        let info = ErrorInfo {
            code: ErrorCode::NotFound,
            message: "no such subject".into(),
        };
        let failed = settle(Err(info), subjects);
        assert_eq!(
            failed.as_ref().err().and_then(CallError::code),
            Some(ErrorCode::NotFound)
        );
        assert_eq!(
            failed.err().map(|e| e.to_string()),
            Some("no such subject".into())
        );
    }

    #[test]
    fn resets_may_take_longer_than_anything_else() {
        assert_eq!(deadline(&Request::ListSubjects), DEADLINE);
        assert_eq!(
            deadline(&Request::ResetAttendees { attendee: None }),
            RESET_DEADLINE
        );
        assert_eq!(
            CallError::TimedOut(DEADLINE).to_string(),
            "The bridge did not answer within 120 seconds; try again."
        );
    }
}
