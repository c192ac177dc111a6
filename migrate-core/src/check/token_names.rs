//! The parser names tokens by their `SyntaxKind` (`R_PAREN`, `TABLE_KW`); users read SQL.

/// Rewrites every `SyntaxKind` name in a parser message into SQL text:
/// `expected R_PAREN` → ``expected `)` ``, `expected TABLE_KW` → ``expected `TABLE` ``.
pub(crate) fn readable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(|c: char| c.is_ascii_uppercase()) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..]
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        // "Expected" continues in lower case: an ordinary word, not a kind name.
        let followed_by_lower =
            rest[start + word_len..].starts_with(|c: char| c.is_ascii_lowercase());
        match kind_text(word).filter(|_| !followed_by_lower) {
            Some(text) => out.push_str(&text),
            None => out.push_str(word),
        }
        rest = &rest[start + word_len..];
    }
    out.push_str(rest);
    out
}

/// The SQL text of a kind name, or `None` for an upper-case word that is not one (`ORDER BY`
/// in a hand-written message stays as written).
fn kind_text(kind: &str) -> Option<String> {
    if let Some(keyword) = kind.strip_suffix("_KW") {
        return Some(format!("`{keyword}`"));
    }
    let punctuation = match kind {
        "SEMICOLON" => ";",
        "COMMA" => ",",
        "L_PAREN" => "(",
        "R_PAREN" => ")",
        "L_BRACK" => "[",
        "R_BRACK" => "]",
        "L_CURLY" => "{",
        "R_CURLY" => "}",
        "L_ANGLE" => "<",
        "R_ANGLE" => ">",
        "LESS_LESS" => "<<",
        "GREATER_GREATER" => ">>",
        "LTEQ" => "<=",
        "GTEQ" => ">=",
        "NEQ" | "NEQB" => "<>",
        "EQ" => "=",
        "FAT_ARROW" => "=>",
        "COLON_EQ" => ":=",
        "DOT_DOT" => "..",
        "DOT" => ".",
        "COLON" => ":",
        "DOLLAR" => "$",
        "AT" => "@",
        "POUND" => "#",
        "TILDE" => "~",
        "QUESTION" => "?",
        "AMP" => "&",
        "PIPE" => "|",
        "PLUS" => "+",
        "MINUS" => "-",
        "STAR" => "*",
        "SLASH" => "/",
        "CARET" => "^",
        "PERCENT" => "%",
        "BANG" => "!",
        "BACKTICK" => "`",
        "UNDERSCORE" => "_",
        _ => "",
    };
    if !punctuation.is_empty() {
        return Some(format!("`{punctuation}`"));
    }
    match kind {
        "IDENT" | "NAME" | "NAME_REF" => Some("a name".to_owned()),
        "EOF" => Some("the end of input".to_owned()),
        // Other node kinds (INT_NUMBER, COLUMN_LIST, …) read well in lower case.
        other if other.contains('_') => Some(other.to_ascii_lowercase().replace('_', " ")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn punctuation_and_keywords_read_as_sql() {
        assert_eq!(readable("expected R_PAREN"), "expected `)`");
        assert_eq!(readable("expected SEMICOLON"), "expected `;`");
        assert_eq!(readable("expected TABLE_KW"), "expected `TABLE`");
        assert_eq!(
            readable("expected name, got L_PAREN"),
            "expected name, got `(`"
        );
        assert_eq!(
            readable("expected from item, got IDENT"),
            "expected from item, got a name"
        );
    }

    #[test]
    fn ordinary_words_are_kept() {
        assert_eq!(readable("Expected an expression"), "Expected an expression");
        assert_eq!(
            readable("Expected an ORDER BY item after comma"),
            "Expected an ORDER BY item after comma"
        );
        assert_eq!(readable("expected INT_NUMBER"), "expected int number");
    }
}
