//! The per-entry attributes: `#[no_transaction]`, `#[allow(<rule>, reason = "…")]`,
//! `#[down("…")]` / `#[down(file("…"))]` and `#[irreversible(reason = "…")]`.
//!
//! The down is an attribute rather than a `{ up: …, down: … }` body: a list of dozens of
//! entries keeps one shape (`"<version>" => <up>`), the down sits next to the other options a
//! reviewer reads before the up, and an entry gains a down without being rewritten.

use migrate_core::TransactionMode;
use migrate_core::check::{Allow, EntryOptions, Syntax};
use migrate_core::pipeline::{allow_named, unknown_option};
use syn::parse::ParseStream;
use syn::{Attribute, Ident, LitStr, Meta, Token};

use crate::diagnostics::Diagnostics;
use crate::parse::Source;

/// What an entry says about its rollback: its down SQL, or why it has none.
#[derive(Default)]
pub struct Reversal {
    pub down: Option<Source>,
    pub irreversible: Option<LitStr>,
}

/// Reads `#[down(…)]` and `#[irreversible(reason = "…")]`, reporting every malformed one.
pub fn reversal(attrs: &[Attribute], diagnostics: &mut Diagnostics) -> Reversal {
    const DOWN_FORM: &str = "write `#[down(\"DROP TABLE IF EXISTS t;\")]` or `#[down(file(\"migrations/001_t.down.sql\"))]`";
    const IRREVERSIBLE_FORM: &str = "write `#[irreversible(reason = \"why it cannot be undone\")]`";
    let mut out = Reversal::default();
    for attr in attrs {
        if attr.path().is_ident("down") {
            let parsed = match &attr.meta {
                Meta::List(list) => list.parse_args_with(<Source as syn::parse::Parse>::parse),
                _ => Err(syn::Error::new_spanned(
                    attr,
                    "`#[down]` needs the down SQL",
                )),
            };
            match parsed {
                Err(e) => diagnostics.push(syn::Error::new(e.span(), format!("{e}; {DOWN_FORM}"))),
                Ok(_) if out.down.is_some() => {
                    diagnostics.error_spanned(attr, "`#[down]` is given twice on this entry")
                }
                Ok(source) => out.down = Some(source),
            }
        } else if attr.path().is_ident("irreversible") {
            let reason = match &attr.meta {
                Meta::List(list) => list.parse_args_with(|input: ParseStream| {
                    let key: Ident = input.parse()?;
                    if key != "reason" {
                        return Err(syn::Error::new(key.span(), "expected `reason`"));
                    }
                    input.parse::<Token![=]>()?;
                    input.parse::<LitStr>()
                }),
                _ => Err(syn::Error::new_spanned(
                    attr,
                    "`#[irreversible]` needs a reason",
                )),
            };
            match reason {
                Err(e) => diagnostics.push(syn::Error::new(e.span(), format!("{e}; {IRREVERSIBLE_FORM}"))),
                Ok(reason) if reason.value().trim().is_empty() => diagnostics.error(
                    reason.span(),
                    "the `reason` of `#[irreversible]` is empty: say why the migration cannot be undone",
                ),
                Ok(reason) => out.irreversible = Some(reason),
            }
        }
    }
    if let (Some(_), Some(reason)) = (&out.down, &out.irreversible) {
        diagnostics.error(
            reason.span(),
            "an entry with `#[down(…)]` is reversible: remove `#[irreversible]` or the down",
        );
    }
    out
}

/// Interprets the attributes of the entry `version`, reporting every malformed one.
pub fn entry_options(
    attrs: &[Attribute],
    version: &str,
    diagnostics: &mut Diagnostics,
) -> EntryOptions {
    let mut options = EntryOptions::default();
    let mut no_transaction_seen = false;
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("doc") || path.is_ident("down") || path.is_ident("irreversible") {
            // Doc comments document a migration for the reader; they change nothing. The
            // reversal attributes are read by `reversal`.
            continue;
        }
        if path.is_ident("no_transaction") {
            if !matches!(attr.meta, Meta::Path(_)) {
                diagnostics.error_spanned(
                    &attr.meta,
                    "`#[no_transaction]` takes no arguments: write `#[no_transaction]`",
                );
            } else if no_transaction_seen {
                diagnostics.error_spanned(attr, "`#[no_transaction]` is given twice on this entry");
            }
            no_transaction_seen = true;
            options.transaction = TransactionMode::NoTransaction;
        } else if path.is_ident("allow") {
            options.allow.extend(allow(attr, diagnostics));
        } else {
            let name = quote::ToTokens::to_token_stream(path)
                .to_string()
                .replace(' ', "");
            diagnostics.error_spanned(attr, unknown_option(Syntax::Attributes, &name, version));
        }
    }
    options
}

/// What one `#[allow(…)]` says: one or more rule names and a reason.
struct AllowArgs {
    names: Vec<Ident>,
    reason: Option<LitStr>,
}

fn parse_allow_args(input: ParseStream) -> syn::Result<AllowArgs> {
    let mut args = AllowArgs {
        names: Vec::new(),
        reason: None,
    };
    while !input.is_empty() {
        let ident: Ident = input.parse()?;
        if input.peek(Token![=]) {
            if ident != "reason" {
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "unknown key `{ident}`: `#[allow]` takes rule names and `reason = \"…\"`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            if args.reason.is_some() {
                return Err(input.error("`reason` is given twice"));
            }
            args.reason = Some(input.parse().map_err(|e| {
                syn::Error::new(e.span(), "the reason is a string literal: `reason = \"…\"`")
            })?);
        } else {
            args.names.push(ident);
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(args)
}

fn names_or_placeholder(names: &[Ident]) -> String {
    if names.is_empty() {
        return "<rule>".to_owned();
    }
    names
        .iter()
        .map(Ident::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn accepted_names() -> String {
    Allow::accepted_names()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn allow(attr: &Attribute, diagnostics: &mut Diagnostics) -> Vec<Allow> {
    const FORM: &str = "write `#[allow(<rule>, reason = \"why a second run is safe\")]`";
    let Meta::List(list) = &attr.meta else {
        diagnostics.error_spanned(
            attr,
            format!("`#[allow]` needs a rule and a reason: {FORM}"),
        );
        return Vec::new();
    };
    let args = match list.parse_args_with(parse_allow_args) {
        Ok(args) => args,
        Err(e) => {
            diagnostics.push(syn::Error::new(e.span(), format!("{e}; {FORM}")));
            return Vec::new();
        }
    };
    if args.names.is_empty() {
        diagnostics.error_spanned(
            attr,
            format!(
                "`#[allow]` names no rule: {FORM}; accepted rules: {}",
                accepted_names()
            ),
        );
    }
    let mut allows = Vec::new();
    for name in &args.names {
        let text = name.to_string();
        match allow_named(&text, Syntax::Attributes) {
            Ok(allow) => allows.push(allow),
            Err(message) => diagnostics.error(name.span(), message),
        }
    }
    match &args.reason {
        None => diagnostics.error_spanned(
            attr,
            format!(
                "`#[allow]` needs a reason, so reviewers know why the migration is safe to run twice: \
                 write `#[allow({}, reason = \"…\")]`",
                names_or_placeholder(&args.names)
            ),
        ),
        Some(reason) if reason.value().trim().is_empty() => diagnostics.error(
            reason.span(),
            "the `reason` of `#[allow]` is empty: say why the migration is safe to run twice",
        ),
        Some(_) => {}
    }
    allows
}
