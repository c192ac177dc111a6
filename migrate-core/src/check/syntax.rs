//! How an entry's options are spelled where the entry lives, so that a help text names what
//! the user has to write: an attribute in a `migrations!` list, a header line in a `.sql` file.

use super::Rule;

/// The notation of an entry's options.
///
/// ```
/// use migrate_core::check::Syntax;
/// assert_eq!(Syntax::Attributes.no_transaction(), "#[no_transaction]");
/// assert_eq!(Syntax::Headers.no_transaction(), "-- migrate:no_transaction");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Syntax {
    /// Attributes on a `migrations!` entry: `#[no_transaction]`, `#[allow(…)]`.
    #[default]
    Attributes,
    /// Comment lines at the top of a `.sql` file: `-- migrate:no_transaction`,
    /// `-- migrate:allow <rule> reason="…"`.
    Headers,
}

impl Syntax {
    /// The option that runs an entry outside a transaction, as written.
    pub fn no_transaction(self) -> &'static str {
        match self {
            Syntax::Attributes => "#[no_transaction]",
            Syntax::Headers => "-- migrate:no_transaction",
        }
    }

    /// The option that silences `rule` for one entry, as written.
    ///
    /// ```
    /// use migrate_core::check::{Rule, Syntax};
    /// assert_eq!(
    ///     Syntax::Headers.allow(Rule::UnnamedIndex),
    ///     "-- migrate:allow unnamed_index reason=\"…\""
    /// );
    /// assert_eq!(
    ///     Syntax::Attributes.allow(Rule::Hazard(migrate_core::check::Hazard::BanDropColumn)),
    ///     "#[allow(ban_drop_column, reason = \"…\")]"
    /// );
    /// ```
    pub fn allow(self, rule: Rule) -> String {
        match self {
            Syntax::Attributes => format!("#[allow({}, reason = \"…\")]", rule.attribute_name()),
            Syntax::Headers => format!("-- migrate:allow {rule} reason=\"…\""),
        }
    }

    /// An option's name as written: `#[name]` or `-- migrate:name`.
    pub(crate) fn option(self, name: &str) -> String {
        match self {
            Syntax::Attributes => format!("#[{name}]"),
            Syntax::Headers => format!("-- migrate:{name}"),
        }
    }

    /// "make the entry #[no_transaction]", for the statements that need it.
    pub(crate) fn make_no_transaction(self) -> &'static str {
        match self {
            Syntax::Attributes => "make the entry #[no_transaction]",
            Syntax::Headers => "start the file with `-- migrate:no_transaction`",
        }
    }

    /// Where a statement that cannot run in a transaction goes.
    pub(crate) fn own_no_transaction_entry(self) -> &'static str {
        match self {
            Syntax::Attributes => "its own #[no_transaction] entry",
            Syntax::Headers => "its own file starting with `-- migrate:no_transaction`",
        }
    }

    /// The full instruction for a statement that cannot run in a transaction.
    pub(crate) fn put_in_no_transaction_entry(self) -> &'static str {
        match self {
            Syntax::Attributes => {
                "put it in its own entry marked #[no_transaction]: \
                 #[no_transaction] \"<version>\" => \"…\""
            }
            Syntax::Headers => {
                "put it in its own file whose first line is `-- migrate:no_transaction`"
            }
        }
    }

    /// "add #[allow(<rule>, reason = "…")] to the entry".
    pub(crate) fn add_allow(self, rule: Rule) -> String {
        match self {
            Syntax::Attributes => format!("add {} to the entry", self.allow(rule)),
            Syntax::Headers => format!("add `{}` to the top of the file", self.allow(rule)),
        }
    }
}
