//! Each tool's migration names, turned into our versions.

use std::path::Path;

use super::ImportError;
use crate::Tool;
use crate::load::VersionNames;

/// Our version for the migration the tool names `name` (a file stem for sqlx and refinery, a
/// directory name for diesel), and its number.
pub(crate) fn convert(tool: Tool, name: &str, path: &Path) -> Result<(String, i64), ImportError> {
    let bad = |reason: &str| ImportError::BadName {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let (number, rest) = match tool {
        Tool::Sqlx => {
            let (digits, rest) = name.split_once('_').ok_or_else(|| {
                bad("sqlx names are `<version>_<description>.sql` (e.g. `20210425153745_create_users.sql`)")
            })?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("sqlx versions are digits before the first `_`"));
            }
            (digits.to_owned(), rest)
        }
        Tool::Diesel => {
            let (stamp, rest) = name.split_once('_').ok_or_else(|| {
                bad("diesel names are `<version>_<name>` (e.g. `2021-04-25-153745_create_users`)")
            })?;
            if !stamp.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                || !stamp.bytes().any(|b| b.is_ascii_digit())
            {
                return Err(bad(
                    "diesel versions are digits and dashes before the first `_`",
                ));
            }
            // diesel records the version without its dashes.
            (stamp.replace('-', ""), rest)
        }
        Tool::Refinery => {
            let body = name.strip_prefix('V').ok_or_else(|| {
                bad("refinery names are `V<n>__<name>.sql`; unversioned `U` migrations have no number to order or adopt by")
            })?;
            let (digits, rest) = body
                .split_once("__")
                .ok_or_else(|| bad("refinery names are `V<n>__<name>.sql` (two underscores)"))?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("refinery versions are digits after `V`"));
            }
            (digits.to_owned(), rest)
        }
    };
    let parsed: i64 = number
        .parse()
        .map_err(|_| bad("the version number does not fit in a 64-bit integer"))?;
    let mut snake = VersionNames::Normalize.version_for(rest);
    if snake.is_empty() {
        snake = "migration".to_owned();
    }
    Ok((format!("{number}_{snake}"), parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tool: Tool, name: &str) -> String {
        convert(tool, name, Path::new(name)).unwrap().0
    }

    #[test]
    fn each_tool_keeps_its_number() {
        assert_eq!(
            v(Tool::Sqlx, "20210425153745_create_history"),
            "20210425153745_create_history"
        );
        assert_eq!(
            v(Tool::Diesel, "2021-04-25-153745_create_history"),
            "20210425153745_create_history"
        );
        assert_eq!(
            v(Tool::Diesel, "2024-03-05-120032_add-crate-downloads-index"),
            "20240305120032_add_crate_downloads_index"
        );
        assert_eq!(
            v(Tool::Diesel, "00000000000000_diesel_initial_setup"),
            "00000000000000_diesel_initial_setup"
        );
        assert_eq!(v(Tool::Refinery, "V1__initial"), "1_initial");
        assert_eq!(v(Tool::Refinery, "V12__Add Users"), "12_add_users");
    }

    #[test]
    fn foreign_names_are_refused_with_the_expected_form() {
        let err = convert(Tool::Refinery, "U1__x", Path::new("U1__x.sql")).unwrap_err();
        assert!(err.to_string().contains("unversioned"), "{err}");
        let err = convert(Tool::Sqlx, "create_users", Path::new("create_users.sql")).unwrap_err();
        assert!(err.to_string().contains("digits"), "{err}");
    }
}
