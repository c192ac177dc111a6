//! Turns validated entries into a `static`-initialisable `Migrations` expression.

use proc_macro2::TokenStream;
use quote::quote;

use crate::parse::Source;
use crate::validate::{Valid, Validated};

pub fn expand(validated: Validated) -> TokenStream {
    let Validated {
        entries,
        diagnostics,
        lock,
    } = validated;
    if let Some(errors) = diagnostics.errors() {
        // The empty list keeps the surrounding `static` well typed, so the user sees only the
        // migration errors, not follow-up type errors.
        return quote! {{
            #errors
            ::migrate::__private::Migrations::__from_static(&[])
        }};
    }
    let warnings = diagnostics.warnings();
    let migrations = entries.iter().map(migration);
    // A `const` item's own value is lifted to 'static even though `Migration` has drop glue,
    // whereas `&[…]` as a call argument would be a temporary a `static` cannot hold.
    let list = match &lock {
        None => quote!(::migrate::__private::Migrations::__from_static(MIGRATIONS)),
        Some((path, exists)) => {
            let full = quote!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #path));
            // Including the file makes cargo rebuild, and so re-check, when it changes.
            let track = exists.then(|| {
                quote!(
                    const _: &str = ::core::include_str!(#full);
                )
            });
            quote! {{
                #track
                ::migrate::__private::Migrations::__from_static_locked(MIGRATIONS, #full)
            }}
        }
    };
    quote! {{
        #warnings
        const MIGRATIONS: &[::migrate::__private::Migration] = &[#(#migrations),*];
        #list
    }}
}

fn migration(valid: &Valid) -> TokenStream {
    let m = &valid.migration;
    let version = &valid.entry.version;
    let number = m.number();
    let name = m.name();
    let sql = sql_tokens(&valid.entry.source);
    let statements = spans(m.statement_spans());
    let mode = match m.transaction_mode() {
        migrate_core::TransactionMode::Transaction => {
            quote!(::migrate::__private::TransactionMode::Transaction)
        }
        migrate_core::TransactionMode::NoTransaction => {
            quote!(::migrate::__private::TransactionMode::NoTransaction)
        }
    };
    let checksum = m.checksum();
    let checksum = checksum.as_bytes();
    let down = match (m.down(), &valid.reversal.down) {
        (Some(down), Some(source)) => {
            let sql = sql_tokens(source);
            let statements = spans(down.statement_spans());
            let checksum = down.checksum();
            let checksum = checksum.as_bytes();
            quote! {
                ::core::option::Option::Some(::migrate::__private::Down::__from_static(
                    #sql,
                    &[#(#statements),*],
                    [#(#checksum),*],
                ))
            }
        }
        _ => quote!(::core::option::Option::None),
    };
    let irreversible = match &valid.reversal.irreversible {
        Some(reason) => quote!(::core::option::Option::Some(#reason)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::migrate::__private::Migration::__from_static_reversible(
            #version,
            #number,
            #name,
            #sql,
            &[#(#statements),*],
            #mode,
            [#(#checksum),*],
            #down,
            #irreversible,
        )
    }
}

fn sql_tokens(source: &Source) -> TokenStream {
    match source {
        Source::Inline(lit) => quote!(#lit),
        // `include_str!` makes cargo rebuild, and so re-check, when the file changes.
        Source::File(path) => quote! {
            ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #path))
        },
    }
}

fn spans(spans: &[migrate_core::StatementSpan]) -> Vec<TokenStream> {
    spans
        .iter()
        .map(|s| {
            let (start, end, line) = (s.start, s.end, s.line);
            quote! {
                ::migrate::__private::StatementSpan { start: #start, end: #end, line: #line }
            }
        })
        .collect()
}
