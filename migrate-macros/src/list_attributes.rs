//! The list-level attributes, written first inside the braces: `#![lock("migrations.lock")]`.

use syn::{Attribute, LitStr, Meta};

use crate::diagnostics::Diagnostics;

const ACCEPTED: &str = "a `migrations!` list accepts `#![lock(\"migrations.lock\")]`";

/// What the list-level attributes ask for.
#[derive(Default)]
pub struct ListOptions {
    /// `#![lock("path")]`: the lock file, relative to CARGO_MANIFEST_DIR.
    pub lock: Option<LitStr>,
}

/// Interprets the list's inner attributes, reporting every malformed one.
pub fn list_options(attrs: &[Attribute], diagnostics: &mut Diagnostics) -> ListOptions {
    let mut options = ListOptions::default();
    for attr in attrs {
        if attr.path().is_ident("doc") {
            continue;
        }
        if !attr.path().is_ident("lock") {
            let name = attr
                .path()
                .get_ident()
                .map_or_else(|| "this attribute".to_owned(), |i| format!("`#![{i}]`"));
            diagnostics.error_spanned(attr, format!("unknown list attribute {name}: {ACCEPTED}"));
            continue;
        }
        const FORM: &str = "write `#![lock(\"migrations.lock\")]`, a path relative to the \
                            directory holding the crate's Cargo.toml";
        let path = match &attr.meta {
            Meta::List(list) => list.parse_args::<LitStr>().ok(),
            _ => None,
        };
        match path {
            Some(_) if options.lock.is_some() => {
                diagnostics.error_spanned(attr, "`#![lock(…)]` is given twice on this list");
            }
            Some(path) => options.lock = Some(path),
            None => diagnostics.error_spanned(attr, format!("`#![lock]` takes one path: {FORM}")),
        }
    }
    options
}
