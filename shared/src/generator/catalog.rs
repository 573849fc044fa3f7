//! The built-in vocabulary of generated clicks: user agents, referrers, IP addresses and the
//! textual form of ids.

use super::rng::Rng;
use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Realistic user agents, most common first (drawn with Zipf skew, so order is popularity).
pub(crate) const USER_AGENTS: [&str; 12] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
];

/// Pages a click plausibly came from, most common first.
pub(crate) const REFERRERS: [&str; 12] = [
    "https://www.google.com/",
    "https://www.facebook.com/",
    "https://www.youtube.com/",
    "https://www.instagram.com/",
    "https://www.bing.com/",
    "https://www.reddit.com/r/technology/",
    "https://t.co/",
    "https://duckduckgo.com/",
    "https://www.bbc.co.uk/news",
    "https://www.theguardian.com/international",
    "https://news.ycombinator.com/",
    "https://weather.com/",
];

/// Zipf exponent of the built-in lists above.
pub(crate) const VOCABULARY_EXPONENT: f64 = 1.0;

/// `prefix` followed by `value` as 16 lowercase hex digits, e.g. `clk-00c0ffee00c0ffee`.
pub(crate) fn hex_id(prefix: &str, value: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    for shift in (0..16).rev() {
        id.push(char::from(DIGITS[(value >> (shift * 4)) as usize & 0xf]));
    }
    id
}

/// `prefix` followed by `n` zero-padded to `width`, e.g. `cr-007`.
pub(crate) fn numbered(prefix: &str, n: usize, width: usize) -> String {
    let mut name = String::with_capacity(prefix.len() + width);
    name.push_str(prefix);
    // Writing to a String cannot fail.
    let _ = write!(name, "{n:0width$}");
    name
}

/// A random public IPv4 address, outside the special-purpose blocks of RFC 6890.
pub(crate) fn ipv4(rng: &mut Rng) -> String {
    // About 14% of the space is special-purpose, so this rarely takes a second round.
    loop {
        let addr = Ipv4Addr::from((rng.next_u64() >> 32) as u32);
        if is_public_v4(addr) {
            return dotted(addr);
        }
    }
}

/// Special-purpose IPv4 blocks as (network, prefix length).
const RESERVED_V4: [([u8; 4], u32); 15] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 88, 99, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4), // multicast
    ([240, 0, 0, 0], 4), // reserved and broadcast
];

pub(crate) fn is_public_v4(addr: Ipv4Addr) -> bool {
    let bits = u32::from(addr);
    !RESERVED_V4.iter().any(|&(network, len)| {
        let mask = u32::MAX << (32 - len);
        bits & mask == u32::from_be_bytes(network)
    })
}

/// A random global unicast IPv6 address (in `2000::/3`, outside the special-purpose
/// `2001::/23`, documentation `2001:db8::/32` and retired 6bone `3ffe::/16` blocks).
pub(crate) fn ipv6(rng: &mut Rng) -> String {
    loop {
        let high = rng.next_u64();
        let low = rng.next_u64();
        // Keep the top three bits 001: global unicast.
        let high = (high >> 3) | (1 << 61);
        let addr = Ipv6Addr::from((u128::from(high) << 64) | u128::from(low));
        if is_public_v6(addr) {
            return colon_hex(addr);
        }
    }
}

/// `a.b.c.d`, as `Ipv4Addr`'s `Display` writes it, without going through the formatter.
fn dotted(addr: Ipv4Addr) -> String {
    let mut text = String::with_capacity(15);
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// The RFC 5952 text of `addr`. With no zero group there is nothing to compress and each group
/// is plain lowercase hex; the rare address with one goes through `Ipv6Addr`'s `Display`.
fn colon_hex(addr: Ipv6Addr) -> String {
    let groups = addr.segments();
    if groups.contains(&0) {
        return addr.to_string();
    }
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(39);
    for (i, group) in groups.into_iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let digits = (4 - group.leading_zeros() / 4).max(1);
        for shift in (0..digits).rev() {
            text.push(char::from(DIGITS[usize::from(group >> (shift * 4)) & 0xf]));
        }
    }
    text
}

pub(crate) fn is_public_v6(addr: Ipv6Addr) -> bool {
    let [first, second, ..] = addr.segments();
    let global = first & 0xe000 == 0x2000;
    let special = first == 0x2001 && (second < 0x0200 || second == 0x0db8);
    global && !special && first != 0x3ffe
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::rng::Stream;

    #[test]
    fn hex_ids_have_sixteen_digits() {
        assert_eq!(hex_id("clk-", 0xc0ffee), "clk-0000000000c0ffee");
        assert_eq!(hex_id("imp-", u64::MAX), "imp-ffffffffffffffff");
    }

    #[test]
    fn numbered_names_are_padded() {
        assert_eq!(numbered("cr-", 7, 3), "cr-007");
        assert_eq!(numbered("pl-", 1234, 2), "pl-1234");
    }

    #[test]
    fn reserved_v4_blocks_are_recognised() {
        for reserved in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "100.100.0.1",
            "172.31.255.255",
        ] {
            let addr: Ipv4Addr = reserved.parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(!is_public_v4(addr), "{reserved}");
        }
        for public in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "223.255.255.255"] {
            let addr: Ipv4Addr = public.parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(is_public_v4(addr), "{public}");
        }
    }

    #[test]
    fn generated_addresses_parse_and_are_public() {
        let mut rng = Rng::new(11, Stream::Click, 0);
        for _ in 0..2_000 {
            let v4: Ipv4Addr = ipv4(&mut rng).parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(is_public_v4(v4) && !v4.is_private() && !v4.is_loopback());
            let v6: Ipv6Addr = ipv6(&mut rng).parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(is_public_v6(v6) && !v6.is_loopback() && !v6.is_multicast());
        }
    }

    #[test]
    fn hand_formatting_matches_display() {
        let mut rng = Rng::new(13, Stream::Click, 0);
        for _ in 0..5_000 {
            let bits = rng.next_u64();
            let v4 = Ipv4Addr::from((bits >> 32) as u32);
            assert_eq!(dotted(v4), v4.to_string());
            let v6 = Ipv6Addr::from(u128::from(bits) << 64 | u128::from(rng.next_u64()));
            assert_eq!(colon_hex(v6), v6.to_string());
        }
        for text in ["0.0.0.0", "9.10.99.100", "255.255.255.255"] {
            let v4: Ipv4Addr = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(dotted(v4), text);
        }
        for text in [
            "2a00:1450:1:20:ffff:abc:1:f",
            "2001:db8::1",
            "2a00:0:0:1:1::1",
        ] {
            let v6: Ipv6Addr = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(colon_hex(v6), v6.to_string());
        }
    }

    #[test]
    fn documentation_v6_is_not_public() {
        let doc: Ipv6Addr = "2001:db8::1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(!is_public_v6(doc));
        let google: Ipv6Addr = "2a00:1450::1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(is_public_v6(google));
    }
}
