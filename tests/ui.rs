//! Build-time behaviour of `migrations!`: every rule's compile error (exact text and span, in
//! tests/ui/fail/*.stderr) and the fixed forms that must compile (tests/ui/pass).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`, then read
//! every changed .stderr: it is the specification of what the user sees.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
