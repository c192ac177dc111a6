//! `#[migrate::test]`: an `async fn` test on a fresh database, run on its own tokio runtime.
//!
//! ```text
//! #[migrate::test(MIGRATIONS)] async fn name(pool: PgPool) { … }
//! ```
//! becomes a plain `#[test] fn name()` that hands the body to
//! `migrate::__private::run_test`, which prepares the database (a clone of the list's
//! template, or an empty one without a list), passes the pool or connection and drops the
//! database afterwards. The argument's type is checked by the runner's trait, so this macro
//! only checks the shape of the function.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ItemFn};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand_checked(args, item) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand_checked(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let list: Option<Expr> = if args.is_empty() {
        None
    } else {
        Some(syn::parse2(args)?)
    };
    let function: ItemFn = syn::parse2(item)?;
    check_shape(&function)?;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let inputs = &sig.inputs;
    let list = match &list {
        Some(expr) => quote_spanned!(expr.span()=> ::core::option::Option::Some(&#expr)),
        None => quote!(::core::option::Option::None),
    };
    let run = if inputs.is_empty() {
        quote!(::migrate::__private::run_plain(__migrate_test_body))
    } else {
        quote!(::migrate::__private::run_test(#list, __migrate_test_body))
    };
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() #output {
            async fn __migrate_test_body(#inputs) #output #block
            #run
        }
    })
}

fn check_shape(function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "#[migrate::test] needs an `async fn`",
        ));
    }
    if sig.inputs.len() > 1 {
        return Err(syn::Error::new(
            sig.inputs.span(),
            "#[migrate::test] functions take one argument, `PgPool` or `PgConnection` (or none)",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "#[migrate::test] functions cannot be generic",
        ));
    }
    if let Some(test) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
        return Err(syn::Error::new(
            test.span(),
            "remove `#[test]`: #[migrate::test] already makes the function a test",
        ));
    }
    Ok(())
}
