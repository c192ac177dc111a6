//! Collects every problem of one macro invocation, so the user sees all of them in one build.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};

/// A checker finding that must not fail the build.
pub struct Warning {
    pub span: Span,
    pub message: String,
}

/// Errors and warnings of one invocation. Each error is tagged with the index of its entry, so
/// the user reads them in source order whichever rule found them.
#[derive(Default)]
pub struct Diagnostics {
    errors: Vec<(usize, syn::Error)>,
    warnings: Vec<Warning>,
    entry: usize,
}

impl Diagnostics {
    /// Errors reported from now on belong to the entry at `index`.
    pub fn at_entry(&mut self, index: usize) {
        self.entry = index;
    }

    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error covering all of `tokens` (on stable, a `Span` cannot be joined, but an error
    /// can carry the first and last token's spans).
    pub fn error_spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn push(&mut self, error: syn::Error) {
        self.errors.push((self.entry, error));
    }

    pub fn warning(&mut self, span: Span, message: String) {
        self.warnings.push(Warning { span, message });
    }

    /// One `compile_error!` per error, in entry order, or `None` when there is none.
    pub fn errors(&self) -> Option<TokenStream> {
        if self.errors.is_empty() {
            return None;
        }
        let mut errors: Vec<&(usize, syn::Error)> = self.errors.iter().collect();
        errors.sort_by_key(|(entry, _)| *entry);
        Some(
            errors
                .into_iter()
                .map(|(_, error)| error.to_compile_error())
                .collect(),
        )
    }

    /// Stable Rust has no API for a proc macro to emit a warning, but it does warn on the use of
    /// a `#[deprecated]` item, with the item's note, at the span of the use: one such item per
    /// warning, used at the offending literal, turns each finding into a real compiler warning
    /// (which `#[allow(deprecated)]` on the static silences, like any other warning).
    pub fn warnings(&self) -> TokenStream {
        self.warnings
            .iter()
            .enumerate()
            .map(|(i, warning)| {
                // The use carries the literal's span, so the warning points at the SQL.
                let name = format_ident!("migrate_warning_{}", i, span = warning.span);
                let note = &warning.message;
                quote_spanned! {warning.span=>
                    const _: () = {
                        #[deprecated(note = #note)]
                        #[allow(non_upper_case_globals)]
                        const #name: () = ();
                        #name
                    };
                }
            })
            .collect()
    }
}
