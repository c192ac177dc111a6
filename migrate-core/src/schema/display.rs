//! How snapshots and differences read: one line per difference, the object named first.

use std::fmt;

use super::{Change, Diff, Difference, Object, ObjectId, ObjectKind};

/// Values longer than this (or on several lines) are shown by their first differing line.
const SHORT_VALUE: usize = 80;

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.schema.as_deref() {
            // Most schemas live in `public`: naming it on every line is noise.
            Some(schema) if schema != "public" => write!(f, "{} {schema}.{}", self.kind, self.name),
            _ => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// The object, with the property that says most about it in parentheses.
pub(crate) struct Headline<'a>(pub(crate) &'a Object);

impl fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let object = self.0;
        let key = match object.id.kind {
            ObjectKind::Column => "type",
            ObjectKind::Constraint => "definition",
            ObjectKind::Extension => "version",
            _ => return write!(f, "{}", object.id),
        };
        match object.property(key) {
            Some(value) => write!(f, "{} ({value})", object.id),
            None => write!(f, "{}", object.id),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Missing { object } => write!(
                f,
                "{}: made by the migrations, missing in the database",
                Headline(object)
            ),
            Difference::Unexpected { object } => write!(
                f,
                "{}: in the database, not made by the migrations",
                Headline(object)
            ),
            Difference::Changed { id, changes } => {
                write!(f, "{id}: ")?;
                for (i, change) in changes.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{change}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (expected, actual) = (self.expected.as_deref(), self.actual.as_deref());
        let long = |v: Option<&str>| v.is_some_and(|v| v.len() > SHORT_VALUE || v.contains('\n'));
        if let (Some(e), Some(a)) = (expected, actual)
            && (long(expected) || long(actual))
        {
            let (line, e, a) = first_differing_line(e, a);
            return write!(
                f,
                "{} differs at line {line}: the migrations make {e:?}, the database has {a:?}",
                self.property
            );
        }
        write!(
            f,
            "{}: the migrations make {}, the database has {}",
            self.property,
            expected.unwrap_or("none"),
            actual.unwrap_or("none")
        )
    }
}

/// The 1-based number of the first line where the texts differ, and that line of each.
fn first_differing_line<'a>(expected: &'a str, actual: &'a str) -> (usize, &'a str, &'a str) {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut number = 1;
    loop {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => number += 1,
            (x, y) => return (number, x.unwrap_or(""), y.unwrap_or("")),
        }
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no differences");
        }
        for (i, d) in self.differences.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_show_their_first_differing_line() {
        let c = Change::new(
            "definition",
            Some("BEGIN\n  RETURN 1;\nEND"),
            Some("BEGIN\n  RETURN 2;\nEND"),
        );
        assert_eq!(
            c.to_string(),
            "definition differs at line 2: the migrations make \"  RETURN 1;\", the database has \"  RETURN 2;\""
        );
    }

    #[test]
    fn absent_values_read_as_none() {
        let c = Change::new("default", Some("0"), None);
        assert_eq!(
            c.to_string(),
            "default: the migrations make 0, the database has none"
        );
    }
}
