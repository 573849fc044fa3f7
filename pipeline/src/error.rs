//! Errors told to people: an error and its causes on one line, each cause once.

/// The error and its causes on one line, each cause once: many errors already quote their cause
/// in their own message, so a cause whose text is already there is not repeated.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let told = next.to_string();
        if !text.contains(&told) {
            text.push_str(": ");
            text.push_str(&told);
        }
        cause = next.source();
    }
    text
}
