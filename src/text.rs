//! Small text helpers shared by the cores and the commands (no terminal, no clap).

use std::borrow::Cow;

/// Most characters of a value the user gave that a message echoes.
pub const ECHO_MAX_CHARS: usize = 80;

/// `s` as a message echoes it: at most `max_chars` characters, then `…` and how many characters
/// the whole value has, so that a 100 KB value does not become a 100 KB error line.
///
/// ```
/// use dicomkit::text::shorten;
/// assert_eq!(shorten("Doe^Jane", 80), "Doe^Jane");
/// assert_eq!(shorten(&"A".repeat(300), 4), "AAAA… (300 characters)");
/// ```
pub fn shorten(s: &str, max_chars: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max_chars) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            s.get(..cut).unwrap_or_default(),
            s.chars().count()
        )),
    }
}
