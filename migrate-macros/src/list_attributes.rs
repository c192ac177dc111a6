//! The list-level attributes, written first inside the braces: `#![lock("migrations.lock")]`,
//! `#![deny(hazards)]`.

use migrate_core::check::Allow;
use migrate_core::pipeline::deny_named;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Token};

use crate::diagnostics::Diagnostics;

const ACCEPTED: &str = "a `migrations!` list accepts `#![lock(\"migrations.lock\")]` and \
                        `#![deny(hazards)]` (or `#![deny(<hazard>, …)]`)";

/// What the list-level attributes ask for.
#[derive(Default)]
pub struct ListOptions {
    /// `#![lock("path")]`: the lock file, relative to CARGO_MANIFEST_DIR.
    pub lock: Option<LitStr>,
    /// `#![deny(hazards)]`, `#![deny(<hazard>)]`: hazards that fail the build.
    pub deny: Vec<Allow>,
}

/// Interprets the list's inner attributes, reporting every malformed one.
pub fn list_options(attrs: &[Attribute], diagnostics: &mut Diagnostics) -> ListOptions {
    let mut options = ListOptions::default();
    for attr in attrs {
        if attr.path().is_ident("doc") {
            continue;
        }
        if attr.path().is_ident("deny") {
            options.deny.extend(deny(attr, diagnostics));
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

/// `#![deny(hazards)]` or `#![deny(<hazard>, …)]`: only hazards can be denied (everything
/// else is an error already, or a warning that is not about a release in production).
fn deny(attr: &Attribute, diagnostics: &mut Diagnostics) -> Vec<Allow> {
    let names = match &attr.meta {
        Meta::List(list) => list
            .parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated)
            .ok()
            .filter(|names| !names.is_empty()),
        _ => None,
    };
    let Some(names) = names else {
        diagnostics.error_spanned(
            attr,
            "`#![deny]` takes `hazards` or hazard names: write `#![deny(hazards)]` or e.g. \
             `#![deny(adding_field_with_default, ban_drop_column)]`",
        );
        return Vec::new();
    };
    let mut denied = Vec::new();
    for name in names {
        match deny_named(&name.to_string()) {
            Ok(deny) => denied.push(deny),
            Err(message) => diagnostics.error(name.span(), format!("`#![deny]`: {message}")),
        }
    }
    denied
}
