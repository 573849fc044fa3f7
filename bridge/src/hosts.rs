//! The host names the server answers to, against DNS rebinding.
//!
//! A page on a hostile domain can re-resolve its own name to 127.0.0.1 and then talk to the bridge
//! as "same origin": its requests carry that foreign name in `Host` (and `Origin`). So the bridge
//! serves only the names it was bound under: the loopback names when bound to loopback, the bound
//! address itself otherwise, and the names given with `--allowed-host`. An address written as an
//! IP literal cannot be rebound, so when bound to every interface any IP literal is served.

use std::net::IpAddr;

/// Names a loopback-bound server always answers to.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// The `Host` names one server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowedHosts {
    /// Lower-case names without a port; IPv6 addresses in brackets.
    names: Vec<String>,
    /// Bound to every interface: any IP literal is the server itself.
    any_address: bool,
}

impl AllowedHosts {
    /// The names a server bound to `bind` serves, with `extra` given by the person starting it.
    pub(crate) fn new(bind: IpAddr, extra: &[String]) -> Self {
        let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
        if !bind.is_loopback() && !bind.is_unspecified() {
            names.push(literal(bind));
        }
        names.extend(extra.iter().filter_map(|n| name_of(n)));
        Self {
            names,
            any_address: bind.is_unspecified(),
        }
    }

    /// Whether a request whose `Host` header is `host` may be served.
    pub(crate) fn admits(&self, host: Option<&str>) -> bool {
        let Some(name) = host.and_then(name_of) else {
            return false;
        };
        self.names.contains(&name) || (self.any_address && is_ip_literal(&name))
    }

    /// The refusal's words: what came, what is served, and the flag that would serve it.
    pub(crate) fn refusal(&self, host: Option<&str>) -> String {
        let served = self.names.join(", ");
        match host.and_then(name_of) {
            Some(name) => format!(
                "kafka-demo refused a request for host {name:?}: this playground answers only to {served} \
                 (a page under another name could be a DNS-rebinding attack). To serve it under that name, \
                 start it with --allowed-host {name}"
            ),
            None => format!(
                "kafka-demo refused a request without a usable Host header; it answers to {served}"
            ),
        }
    }
}

/// The host name of a `Host` header value: lower case, without port or trailing dot.
fn name_of(host: &str) -> Option<String> {
    let host = host.trim();
    let name = if host.starts_with('[') {
        &host[..=host.find(']')?]
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            Some(_) => return None,
            None => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

fn literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn is_ip_literal(name: &str) -> bool {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> AllowedHosts {
        AllowedHosts::new([127, 0, 0, 1].into(), &[])
    }

    #[test]
    fn a_loopback_server_answers_to_the_loopback_names_only() {
        let hosts = loopback();
        for host in [
            "127.0.0.1:23080",
            "localhost:23080",
            "LOCALHOST",
            "[::1]:23080",
            "localhost.",
        ] {
            assert!(hosts.admits(Some(host)), "{host}");
        }
        for host in [
            "evil.example:23080",
            "evil.example",
            "127.0.0.1.nip.io:23080",
            "localhost.evil.example",
            "10.0.0.5:23080",
            "",
            "localhost:port",
        ] {
            assert!(!hosts.admits(Some(host)), "{host}");
        }
        assert!(!hosts.admits(None));
    }

    #[test]
    fn given_names_and_the_bound_address_are_served_too() {
        let hosts = AllowedHosts::new([192, 168, 1, 5].into(), &["Class.Example".into()]);
        assert!(hosts.admits(Some("192.168.1.5:23080")));
        assert!(hosts.admits(Some("class.example:23080")));
        assert!(!hosts.admits(Some("192.168.1.6:23080")));
        assert!(!hosts.admits(Some("evil.example:23080")));
        let v6 = AllowedHosts::new("fd00::5".parse().unwrap_or(IpAddr::from([0u8; 16])), &[]);
        assert!(v6.admits(Some("[fd00::5]:23080")));
    }

    #[test]
    fn bound_to_every_interface_any_address_but_no_foreign_name_is_served() {
        let hosts = AllowedHosts::new([0, 0, 0, 0].into(), &[]);
        assert!(hosts.admits(Some("10.1.2.3:23080")));
        assert!(hosts.admits(Some("[fe80::1]:23080")));
        assert!(hosts.admits(Some("localhost:23080")));
        assert!(!hosts.admits(Some("evil.example:23080")));
    }

    #[test]
    fn the_refusal_names_the_flag_and_the_host() {
        let words = loopback().refusal(Some("Evil.Example:23080"));
        assert!(words.contains("--allowed-host evil.example"), "{words}");
        assert!(words.contains("127.0.0.1, localhost, [::1]"), "{words}");
    }
}
