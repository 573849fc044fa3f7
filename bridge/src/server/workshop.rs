//! Workshop mode's sessions: who has joined under which name, and the gate every request of a
//! tab passes before it is answered (join first, then stay in your namespace).
//!
//! A name is held by one connected tab at a time; it is free again when that tab's session ends.

use super::scope;
use shared::protocol::{ClientMessage, ErrorCode, ErrorInfo, Request, Response, ServerMessage};
use shared::workshop::AttendeeName;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The names held by connected tabs.
#[derive(Default)]
pub(super) struct Attendees {
    names: Mutex<HashSet<AttendeeName>>,
    /// What each attendee may use, told to them when they join.
    limits: shared::workshop::Limits,
}

/// A name held by one session; dropping it frees the name.
pub(super) struct Claim {
    name: AttendeeName,
    attendees: Arc<Attendees>,
}

impl Attendees {
    /// Nobody yet; each who joins is told `limits`.
    pub(super) fn new(limits: shared::workshop::Limits) -> Self {
        Self {
            names: Mutex::default(),
            limits,
        }
    }

    /// Takes `name` for a session, unless another connected tab holds it.
    pub(super) fn claim(self: &Arc<Self>, name: AttendeeName) -> Result<Claim, ErrorInfo> {
        if !self.lock().insert(name.clone()) {
            return Err(ErrorInfo {
                code: ErrorCode::NameTaken,
                message: format!(
                    "{name:?} is already taken by a connected tab; pick another name (or close the other tab)"
                ),
            });
        }
        Ok(Claim {
            name,
            attendees: Arc::clone(self),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashSet<AttendeeName>> {
        // Inserts and removes cannot leave the set half-changed: take it even after a panic.
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Claim {
    /// The name held.
    pub(super) fn name(&self) -> &AttendeeName {
        &self.name
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.attendees.lock().remove(&self.name);
    }
}

/// A tab's standing in the workshop: off (not workshop mode), waiting to join, or joined.
pub(super) enum Standing {
    /// The bridge is not in workshop mode: requests pass as they are.
    Off,
    /// Workshop mode; `None` until the tab joins.
    Workshop(Option<Claim>),
}

impl Standing {
    /// The name requests are scoped to, when there is one.
    pub(super) fn attendee(&self) -> Option<&AttendeeName> {
        match self {
            Self::Workshop(Some(claim)) => Some(claim.name()),
            _ => None,
        }
    }

    /// Lets `message` through (rewritten for the attendee), or answers it at once: `Join`
    /// itself, and every refusal.
    pub(super) fn gate(
        &mut self,
        message: ClientMessage,
        attendees: &Arc<Attendees>,
    ) -> Result<ClientMessage, Box<ServerMessage>> {
        let id = message.id;
        let answer = |result: Result<Response, ErrorInfo>| {
            Box::new(match result {
                Ok(response) => ServerMessage::Reply { id, response },
                Err(error) => ServerMessage::Failed { id, error },
            })
        };
        match (self, message.request) {
            (Self::Off, Request::Join { .. }) => Err(answer(Err(ErrorInfo {
                code: ErrorCode::BadRequest,
                message: "this bridge is not in workshop mode, so there is nothing to join; start it with `kafka-demo serve --workshop`".into(),
            }))),
            (Self::Off, request) => Ok(ClientMessage { id, request }),
            (Self::Workshop(claim), Request::Join { name }) => Err(answer(join(claim, &name, attendees))),
            (Self::Workshop(claim), request) => {
                let attendee = claim.as_ref().map(Claim::name);
                match scope::scope_request(request, attendee) {
                    Ok(request) => Ok(ClientMessage { id, request }),
                    Err(error) => Err(answer(Err(error))),
                }
            }
        }
    }
}

/// Joins under `name`, once per tab.
fn join(
    claim: &mut Option<Claim>,
    name: &str,
    attendees: &Arc<Attendees>,
) -> Result<Response, ErrorInfo> {
    let name = AttendeeName::new(name).map_err(|e| ErrorInfo {
        code: ErrorCode::BadRequest,
        message: format!("that name cannot be used: {e}"),
    })?;
    match claim {
        Some(held) if *held.name() == name => {}
        Some(held) => {
            return Err(ErrorInfo {
                code: ErrorCode::BadRequest,
                message: format!(
                    "this tab already joined as {:?}; open a new tab to join under another name",
                    held.name().as_str()
                ),
            })
        }
        None => *claim = Some(attendees.claim(name.clone())?),
    }
    Ok(Response::Joined {
        prefix: name.prefix(),
        name,
        limits: attendees.limits,
        progress: shared::workshop::Progress::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::RequestId;

    fn message(request: Request) -> ClientMessage {
        ClientMessage {
            id: RequestId(1),
            request,
        }
    }

    fn join_as(standing: &mut Standing, name: &str, attendees: &Arc<Attendees>) -> ServerMessage {
        match standing.gate(message(Request::Join { name: name.into() }), attendees) {
            Err(answer) => *answer,
            Ok(passed) => panic!("Join was passed on: {passed:?}"),
        }
    }

    fn code(answer: &ServerMessage) -> Option<ErrorCode> {
        match answer {
            ServerMessage::Failed { error, .. } => Some(error.code),
            _ => None,
        }
    }

    #[test]
    fn a_name_is_held_by_one_tab_at_a_time() {
        let attendees = Arc::new(Attendees::default());
        let mut first = Standing::Workshop(None);
        let joined = join_as(&mut first, "ada", &attendees);
        assert!(
            matches!(&joined, ServerMessage::Reply { response: Response::Joined { prefix, .. }, .. } if prefix == "ada."),
            "{joined:?}"
        );
        let mut second = Standing::Workshop(None);
        assert_eq!(
            code(&join_as(&mut second, "ada", &attendees)),
            Some(ErrorCode::NameTaken)
        );
        drop(first);
        assert_eq!(code(&join_as(&mut second, "ada", &attendees)), None);
    }

    #[test]
    fn bad_names_and_second_names_are_refused() {
        let attendees = Arc::new(Attendees::default());
        let mut tab = Standing::Workshop(None);
        let refused = join_as(&mut tab, "Ada.x", &attendees);
        assert_eq!(code(&refused), Some(ErrorCode::BadRequest));
        assert_eq!(code(&join_as(&mut tab, "ada", &attendees)), None);
        assert_eq!(
            code(&join_as(&mut tab, "ada", &attendees)),
            None,
            "joining again under the same name is harmless"
        );
        assert_eq!(
            code(&join_as(&mut tab, "bob", &attendees)),
            Some(ErrorCode::BadRequest)
        );
    }

    #[test]
    fn join_is_refused_outside_workshop_mode_and_nothing_is_scoped() {
        let attendees = Arc::new(Attendees::default());
        let mut off = Standing::Off;
        assert_eq!(
            code(&join_as(&mut off, "ada", &attendees)),
            Some(ErrorCode::BadRequest)
        );
        let list = message(Request::ListSubjects);
        assert_eq!(off.gate(list.clone(), &attendees).ok(), Some(list));
    }

    #[test]
    fn requests_are_scoped_after_joining() {
        let attendees = Arc::new(Attendees::default());
        let mut tab = Standing::Workshop(None);
        let get = |s: &str| {
            message(Request::GetCompatibility {
                subject: Some(shared::Subject::new(s).unwrap_or_else(|e| panic!("{e}"))),
            })
        };
        assert_eq!(
            tab.gate(get("x-value"), &attendees).map_err(|m| code(&m)),
            Err(Some(ErrorCode::Forbidden))
        );
        join_as(&mut tab, "ada", &attendees);
        assert_eq!(
            tab.gate(get("x-value"), &attendees).ok(),
            Some(get("ada.x-value"))
        );
    }
}
