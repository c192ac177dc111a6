//! The `migrations!` proc macro of the `migrate` crate. Use it through `migrate::migrations!`.

use proc_macro::TokenStream;

/// Declares a checked, ordered list of PostgreSQL migrations. See the `migrate` crate.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let _ = input;
    quote::quote!(::migrate::__private::Migrations::__from_static(&[])).into()
}
