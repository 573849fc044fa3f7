//! The page's question to the bridge over plain HTTP when its WebSocket will not open: is the
//! bridge there at all, and does it take the page's token? (A browser does not tell a page why
//! a WebSocket upgrade failed, so a 401 there looks like a bridge that is down.)

use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

/// What the bridge's HTTP side said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// It answered, and not with a refusal of the token.
    Reachable,
    /// It refused the token (401).
    WrongToken,
    /// Nothing answered: the bridge is down or the network is in the way.
    Unreachable,
}

impl Answer {
    /// The answer an HTTP status stands for. Only 401 speaks of the token: a bridge without the
    /// token check answers with the page (200), which says nothing against it.
    pub fn of_status(status: u16) -> Self {
        match status {
            401 => Self::WrongToken,
            _ => Self::Reachable,
        }
    }
}

/// Asks `url` (the page-relative token check) and reads the answer.
pub async fn ask(url: &str) -> Answer {
    let Some(window) = web_sys::window() else {
        return Answer::Unreachable;
    };
    match JsFuture::from(window.fetch_with_str(url)).await {
        Ok(reply) => reply
            .dyn_into::<web_sys::Response>()
            .map_or(Answer::Reachable, |r| Answer::of_status(r.status())),
        Err(_) => Answer::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_401_blames_the_token() {
        assert_eq!(Answer::of_status(401), Answer::WrongToken);
        for status in [200, 204, 403, 404, 500] {
            assert_eq!(Answer::of_status(status), Answer::Reachable, "{status}");
        }
    }
}
