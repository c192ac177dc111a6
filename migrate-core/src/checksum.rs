//! The migration checksum: SHA-256 over the SQL's tokens, whitespace and comments dropped.
//!
//! The algorithm is part of the history table's contract (a changed checksum means "this
//! migration was edited after it ran"), so it is frozen: it uses its own small tokenizer rather
//! than the parser's, whose token kinds move between releases.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Domain separation, so a future algorithm can never collide with this one.
const DOMAIN: &[u8] = b"migrate-checksum-v1\0";

/// The SHA-256 checksum of a migration's statements.
///
/// Line endings, indentation and comments do not change it; any change to a token does.
///
/// ```
/// use migrate_core::Checksum;
///
/// let a = Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int); -- first");
/// let b = Checksum::of_sql("create table if not exists t (id int);");
/// let c = Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int);\r\n/* moved */");
/// assert_ne!(a, b); // keyword case is part of the text
/// assert_eq!(a, c);
/// assert_eq!(a.to_string().len(), 64);
/// assert_eq!(a.to_string().parse::<Checksum>().unwrap(), a);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum([u8; 32]);

impl Checksum {
    /// Wraps raw digest bytes (used by the `migrations!` expansion).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Checksum(bytes)
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Computes the checksum of a migration's SQL.
    pub fn of_sql(sql: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN);
        for token in Tokens::new(sql) {
            hasher.update((token.len() as u64).to_le_bytes());
            hasher.update(token.as_bytes());
        }
        Checksum(hasher.finalize().into())
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

/// The text is not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a checksum is 64 hexadecimal digits")]
pub struct ChecksumParseError;

impl FromStr for Checksum {
    type Err = ChecksumParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 64 || !s.is_ascii() {
            return Err(ChecksumParseError);
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| ChecksumParseError)?;
        }
        Ok(Checksum(out))
    }
}

/// PostgreSQL's operator characters: a run of them is one token.
fn is_operator_char(c: char) -> bool {
    matches!(
        c,
        '+' | '-'
            | '*'
            | '/'
            | '<'
            | '>'
            | '='
            | '~'
            | '!'
            | '@'
            | '#'
            | '%'
            | '^'
            | '&'
            | '|'
            | '`'
            | '?'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Splits SQL into tokens, skipping whitespace and comments. Unterminated literals and comments
/// run to the end of the input (the checker reports them as syntax errors; here they only need
/// to hash deterministically).
struct Tokens<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(sql: &'a str) -> Self {
        Tokens { sql, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.sql[self.pos..]
    }

    /// Skips whitespace and comments; returns false at the end of input.
    fn skip_trivia(&mut self) -> bool {
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                return false;
            };
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if rest.starts_with("--") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                self.pos += block_comment_len(rest);
            } else {
                return true;
            }
        }
    }
}

/// Length of a (nestable) block comment at the start of `s`.
fn block_comment_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Length of a quoted token starting at `s[0] == quote`, where a doubled quote escapes it and,
/// when `backslash` is set (E'' strings), a backslash escapes the next character.
fn quoted_len(s: &str, quote: u8, backslash: bool) -> usize {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if backslash && bytes[i] == b'\\' {
            i += 2;
        } else if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Length of a dollar-quoted string (`$tag$ … $tag$`) at the start of `s`, if one starts there.
fn dollar_quoted_len(s: &str) -> Option<usize> {
    let after = &s[1..];
    let tag_end = after.find('$')?;
    let tag = &after[..tag_end];
    let valid_tag = tag.chars().next().is_none_or(|c| !c.is_ascii_digit())
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii());
    if !valid_tag {
        return None;
    }
    let delimiter = &s[..tag_end + 2];
    let body_start = delimiter.len();
    Some(match s[body_start..].find(delimiter) {
        Some(end) => body_start + end + delimiter.len(),
        None => s.len(),
    })
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if !self.skip_trivia() {
            return None;
        }
        let rest = self.rest();
        let first = rest.chars().next()?;
        let len = match first {
            '\'' => quoted_len(rest, b'\'', false),
            '"' => quoted_len(rest, b'"', false),
            'E' | 'e' if rest[1..].starts_with('\'') => 1 + quoted_len(&rest[1..], b'\'', true),
            '$' => dollar_quoted_len(rest).unwrap_or_else(|| word_len(rest)),
            c if is_word_char(c) => word_len(rest),
            c if is_operator_char(c) => {
                let mut len = 0;
                for (i, c) in rest.char_indices() {
                    let tail = &rest[i..];
                    if !is_operator_char(c)
                        || (i > 0 && (tail.starts_with("--") || tail.starts_with("/*")))
                    {
                        break;
                    }
                    len = i + c.len_utf8();
                }
                len
            }
            c => c.len_utf8(),
        };
        let token = &rest[..len];
        self.pos += len;
        Some(token)
    }
}

fn word_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(i, c)| !(is_word_char(c) || (i == 0 && c == '$')))
        .map_or(s.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(sql: &str) -> Vec<&str> {
        Tokens::new(sql).collect()
    }

    #[test]
    fn drops_whitespace_and_comments() {
        assert_eq!(
            tokens("SELECT  1 -- one\n, /* two /* nested */ */ 'a''b'"),
            ["SELECT", "1", ",", "'a''b'"]
        );
    }

    #[test]
    fn keeps_literals_whole() {
        assert_eq!(
            tokens("DO $body$ BEGIN -- kept\n END $body$; SELECT E'x\\'y', \"Q\"\"t\""),
            [
                "DO",
                "$body$ BEGIN -- kept\n END $body$",
                ";",
                "SELECT",
                "E'x\\'y'",
                ",",
                "\"Q\"\"t\""
            ]
        );
        assert_eq!(tokens("SELECT $1 + $$x$$"), ["SELECT", "$1", "+", "$$x$$"]);
    }

    #[test]
    fn operators_group_but_stop_at_comments() {
        assert_eq!(tokens("a<=b--c\nd"), ["a", "<=", "b", "d"]);
    }

    #[test]
    fn whitespace_and_comments_do_not_change_the_checksum() {
        let a = Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int);");
        let b = Checksum::of_sql("-- header\r\nCREATE  TABLE IF NOT EXISTS t(\n\tid int\n);\r\n");
        assert_eq!(a, b);
    }

    #[test]
    fn any_token_change_changes_the_checksum() {
        let a = Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int);");
        assert_ne!(
            a,
            Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id bigint);")
        );
        assert_ne!(a, Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int)"));
        assert_ne!(
            Checksum::of_sql("SELECT 'a b'"),
            Checksum::of_sql("SELECT 'a  b'")
        );
        // Token boundaries matter: "ab" is not "a b".
        assert_ne!(
            Checksum::of_sql("SELECT ab"),
            Checksum::of_sql("SELECT a b")
        );
    }

    #[test]
    fn frozen_value() {
        // The algorithm is part of the history table's contract: this value must never change.
        assert_eq!(
            Checksum::of_sql("CREATE TABLE IF NOT EXISTS t (id int);").to_string(),
            FROZEN
        );
    }

    const FROZEN: &str = "8f55203d92ee6849fa75c869fded0ed502a6aa719129c5d9b64a2bfa2ce68cee";

    #[test]
    fn hex_round_trip() {
        let a = Checksum::of_sql("SELECT 1");
        assert_eq!(a.to_string().parse::<Checksum>(), Ok(a));
        assert!("xyz".parse::<Checksum>().is_err());
    }
}
