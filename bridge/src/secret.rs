//! Secrets the bridge compares: the page's token and the instructor's key, compared in constant
//! time, and the instructor key made when none was given.

/// The key of workshop mode's instructor seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructorKey {
    /// Given with `--instructor-key` (or its environment variable).
    Given(String),
    /// Made at start; the bridge prints the instructor's link with it.
    Made(String),
}

/// A random instructor key: 16 bytes, in hex.
fn random_key() -> String {
    rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl InstructorKey {
    /// The key given, or a random one made now.
    pub fn given_or_made(given: Option<String>) -> Self {
        match given.filter(|k| !k.is_empty()) {
            Some(key) => Self::Given(key),
            None => Self::Made(random_key()),
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Given(key) | Self::Made(key) => key,
        }
    }
}

/// Whether `a` and `b` are equal, taking the same time wherever they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_long() {
        let (a, b) = (random_key(), random_key());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(matches!(
            InstructorKey::given_or_made(Some(String::new())),
            InstructorKey::Made(_)
        ));
    }
}
