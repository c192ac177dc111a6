//! Collects every problem of one macro invocation, so the user sees all of them in one build.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};

/// A checker finding that must not fail the build.
pub struct Warning {
    pub span: Span,
    pub message: String,
}

/// Errors (combined into one `syn::Error`, which renders as one `compile_error!` each) and
/// warnings of one invocation.
#[derive(Default)]
pub struct Diagnostics {
    errors: Option<syn::Error>,
    warnings: Vec<Warning>,
}

impl Diagnostics {
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    pub fn warning(&mut self, span: Span, message: String) {
        self.warnings.push(Warning { span, message });
    }

    pub fn errors(&self) -> Option<TokenStream> {
        self.errors.as_ref().map(syn::Error::to_compile_error)
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
                let name = format_ident!("migrate_warning_{}", i);
                let note = &warning.message;
                let used = quote_spanned!(warning.span=> #name);
                quote_spanned! {warning.span=>
                    const _: () = {
                        #[deprecated(note = #note)]
                        #[allow(non_upper_case_globals)]
                        const #name: () = ();
                        #used
                    };
                }
            })
            .collect()
    }
}
