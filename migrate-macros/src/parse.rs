//! The macro's input grammar, turned into entries by syn:
//!
//! ```text
//! Input  := InnerAttribute* (Entry ("," Entry)* ","?)?
//! Entry  := OuterAttribute* LitStr "=>" Source
//! Source := LitStr | "file" "(" LitStr ")"
//! ```
//!
//! Attributes are kept raw here: their meaning (and the errors about them) belongs to
//! `validate`, which reports every problem of the macro at once, whereas a syntax error here
//! stops the parse.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Token, parenthesized};

/// Everything written between the macro's braces.
pub struct Input {
    /// `#![…]` attributes about the whole list, e.g. `#![lock("migrations.lock")]`.
    pub attrs: Vec<Attribute>,
    pub entries: Vec<Entry>,
}

/// One `"<version>" => <source>` entry with its attributes.
pub struct Entry {
    pub attrs: Vec<Attribute>,
    pub version: LitStr,
    pub source: Source,
}

/// Where an entry's SQL comes from.
pub enum Source {
    /// A string or raw string literal.
    Inline(LitStr),
    /// `file("path")`, relative to the crate's `CARGO_MANIFEST_DIR`.
    File(LitStr),
}

impl Source {
    /// The literal that diagnostics about the SQL point at.
    pub fn literal(&self) -> &LitStr {
        match self {
            Source::Inline(lit) | Source::File(lit) => lit,
        }
    }
}

const ENTRY_FORM: &str = "an entry is `\"<version>\" => \"<sql>\"` or `\"<version>\" => file(\"path.sql\")`, \
     e.g. `\"001_create_users\" => \"CREATE TABLE IF NOT EXISTS users (id bigint);\"`";

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_inner)?;
        let mut entries = Vec::new();
        while !input.is_empty() {
            entries.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(input.error("expected `,` between migration entries"));
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Input { attrs, entries })
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        if !input.peek(LitStr) {
            return Err(input.error(format!(
                "expected the migration's version as a string literal: {ENTRY_FORM}"
            )));
        }
        let version: LitStr = input.parse()?;
        if !input.peek(Token![=>]) {
            return Err(input.error(format!(
                "expected `=>` after the version `{}`: {ENTRY_FORM}",
                version.value()
            )));
        }
        input.parse::<Token![=>]>()?;
        let source = input.parse()?;
        Ok(Entry {
            attrs,
            version,
            source,
        })
    }
}

impl Parse for Source {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Source::Inline(input.parse()?));
        }
        let lookahead = input.fork();
        if let Ok(ident) = lookahead.parse::<Ident>()
            && ident == "file"
        {
            input.parse::<Ident>()?;
            let content;
            parenthesized!(content in input);
            if !content.peek(LitStr) {
                return Err(content.error(
                    "expected the path as a string literal: `file(\"migrations/001_init.sql\")`, \
                     relative to the directory of the crate's Cargo.toml",
                ));
            }
            let path: LitStr = content.parse()?;
            if !content.is_empty() {
                return Err(content.error("`file(…)` takes exactly one path"));
            }
            return Ok(Source::File(path));
        }
        Err(input.error(format!(
            "expected the migration's SQL as a string literal or `file(\"path.sql\")`: {ENTRY_FORM}"
        )))
    }
}
