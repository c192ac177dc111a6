//! Deeply nested SQL against the stack.
//!
//! squawk's parsers recurse once per nesting level (a bracket, a sub-query, a `CASE`, a run of
//! prefix operators, a PL/pgSQL block), and rowan's trees are walked and dropped recursively, one
//! frame per tree level (a chain `a AND b AND …` adds a level per operator). The checker runs
//! inside rustc, in an unoptimised build, where a level of `(SELECT …)` costs about 4.8 KB of
//! stack: 1,700 of them overflowed rustc's 8 MB main stack and aborted the build.
//!
//! So every parse is bounded: [`nesting_limit_exceeded`] counts the nesting the parser will
//! recurse through before it runs, and [`TreeDepth`] follows the depth of the tree while it is
//! built. The bounds depend on the stack the check runs on: [`run`] first checks on the caller's
//! stack with small bounds, which every real migration fits; an entry that outgrows them is
//! checked again on a thread with a [`LARGE_STACK`] and the documented bounds
//! ([`MAX_NESTING`], [`MAX_TREE_DEPTH`]), beyond which the entry is refused with
//! `too_deeply_nested`. Spawning that thread costs several times the check of a typical entry,
//! which is why it is not done for every entry.

use std::cell::Cell;

use squawk_lexer::TokenKind;

/// Nesting levels the checker reads on the large stack: brackets, sub-queries, `CASE`, runs of
/// prefix operators and PL/pgSQL blocks, counted together. Measured in a debug build: the
/// costliest level, `(SELECT …)`, takes about 4.8 KB, so 1,000 levels need about 5 MB of the
/// [`LARGE_STACK`]; real migrations nest a few dozen levels at most.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Syntax tree depth the checker reads on the large stack. Chains of binary operators,
/// `UNION`s or `JOIN`s add a level per link; a tree level costs under 1 KB of stack in a debug
/// build, so 20,000 levels stay well within the [`LARGE_STACK`].
pub(crate) const MAX_TREE_DEPTH: usize = 20_000;

/// The large stack's size: four times what the two bounds above need in a debug build. Only
/// the pages a check touches are ever committed.
pub(crate) const LARGE_STACK: usize = 64 << 20;

/// Bounds on the caller's stack, which may be a 2 MB thread: about 300 KB of parser nesting and
/// 500 KB of tree walking in a debug build.
const CALLER_NESTING: usize = 64;
const CALLER_TREE_DEPTH: usize = 500;

/// Where the current thread's check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not inside [`run`]: a parse outside a check gets the caller's bounds.
    Idle,
    /// Checking on the caller's stack; `outgrown` once an input exceeded its bounds.
    Caller { outgrown: bool },
    /// Checking on the large stack.
    Large,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State::Idle) };
}

/// The bounds a parse must stay within on the current stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub nesting: usize,
    pub tree_depth: usize,
}

pub(crate) fn limits() -> Limits {
    match STATE.get() {
        State::Large => Limits {
            nesting: MAX_NESTING,
            tree_depth: MAX_TREE_DEPTH,
        },
        State::Idle | State::Caller { .. } => Limits {
            nesting: CALLER_NESTING,
            tree_depth: CALLER_TREE_DEPTH,
        },
    }
}

/// Called when an input exceeds [`limits`]: on the caller's stack, the check is then repeated on
/// the large stack. Returns the message for the diagnostic, which on the caller's stack only
/// shows when no large stack could be had.
pub(crate) fn refuse(what: &str, limit: usize) -> String {
    if let State::Caller { .. } = STATE.get() {
        STATE.set(State::Caller { outgrown: true });
    }
    format!(
        "this {what} is nested more than {limit} levels deep, more than the checker reads \
         (it would overflow the compiler's stack); split the expression, sub-query or block \
         into smaller ones (a view, a function, a temporary table or separate statements)"
    )
}

/// Runs `job(arg)` (a whole check) within the bounds: on the caller's stack first, and again
/// on a large stack if the input outgrew the caller's bounds. A nested call runs `job` directly.
pub(crate) fn run<A: Copy + Send, T: Send>(job: fn(A) -> T, arg: A) -> T {
    if STATE.get() != State::Idle {
        return job(arg);
    }
    let checked = {
        let _state = Enter::new(State::Caller { outgrown: false });
        let checked = job(arg);
        if STATE.get() != (State::Caller { outgrown: true }) {
            return checked;
        }
        checked
    };
    std::thread::scope(|scope| {
        let large = std::thread::Builder::new()
            .name("migrate-check".to_owned())
            .stack_size(LARGE_STACK)
            .spawn_scoped(scope, move || {
                let _state = Enter::new(State::Large);
                job(arg)
            });
        match large {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had (the process is at its limit): the caller's bounds refused the
            // input, and that result stands.
            Err(_) => checked,
        }
    })
}

/// Sets the thread's state for a scope, restoring `Idle` even if the check panics.
struct Enter;

impl Enter {
    fn new(state: State) -> Enter {
        STATE.set(state);
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        STATE.set(State::Idle);
    }
}

/// Which grammar a text is parsed with: PL/pgSQL adds its blocks to the nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    Sql,
    Plpgsql,
}

/// The byte offset of the first token at which the nesting of `text` exceeds `limit`, counted
/// over squawk's own tokens (so brackets inside strings and comments never count).
pub(crate) fn nesting_limit_exceeded(text: &str, grammar: Grammar, limit: usize) -> Option<usize> {
    let mut nesting = Nesting {
        at_statement_start: true,
        ..Nesting::default()
    };
    let mut offset = 0usize;
    for token in squawk_lexer::tokenize(text) {
        let start = offset;
        offset += token.len as usize;
        let word = match token.kind {
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. } => {
                continue;
            }
            TokenKind::Ident => text.get(start..offset),
            _ => None,
        };
        if nesting.step(token.kind, word, grammar) > limit {
            return Some(start);
        }
    }
    None
}

/// Open brackets and keyword blocks, and the current run of prefix operators.
#[derive(Debug, Default)]
struct Nesting {
    brackets: usize,
    blocks: usize,
    prefix_run: usize,
    /// The previous significant token started a PL/pgSQL statement's position (`;`, `THEN`, …).
    at_statement_start: bool,
    after_end: bool,
}

impl Nesting {
    /// Takes one significant token (`word` is the text of an identifier or keyword) and returns
    /// the nesting after it.
    fn step(&mut self, kind: TokenKind, word: Option<&str>, grammar: Grammar) -> usize {
        let keyword = |k: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(k));
        let statement_start = self.at_statement_start;
        let after_end = std::mem::replace(&mut self.after_end, false);
        self.at_statement_start = matches!(kind, TokenKind::Semi)
            || ["then", "else", "loop", "begin", "declare"]
                .iter()
                .any(|k| keyword(k));
        let prefix = matches!(
            kind,
            TokenKind::Minus
                | TokenKind::Plus
                | TokenKind::Tilde
                | TokenKind::Bang
                | TokenKind::At
                | TokenKind::Pound
                | TokenKind::Or
                | TokenKind::And
                | TokenKind::Question
                | TokenKind::Lt
                | TokenKind::Gt
                | TokenKind::Eq
                | TokenKind::Percent
                | TokenKind::Caret
                | TokenKind::Star
                | TokenKind::Slash
        ) || keyword("not");
        self.prefix_run = if prefix { self.prefix_run + 1 } else { 0 };
        match kind {
            TokenKind::OpenParen | TokenKind::OpenBracket => self.brackets += 1,
            TokenKind::CloseParen | TokenKind::CloseBracket => {
                self.brackets = self.brackets.saturating_sub(1);
            }
            _ if keyword("end") => {
                self.blocks = self.blocks.saturating_sub(1);
                self.after_end = true;
            }
            // `END IF`, `END LOOP`, `END CASE` close the block their `END` already closed.
            _ if after_end => {}
            _ if keyword("case") => self.blocks += 1,
            _ if grammar == Grammar::Plpgsql
                && (keyword("begin") || keyword("loop") || (statement_start && keyword("if"))) =>
            {
                self.blocks += 1;
            }
            _ => {}
        }
        self.brackets + self.blocks + self.prefix_run
    }
}

/// Follows the depth of a tree while it is built, and records the first time it exceeds the
/// limit.
#[derive(Debug)]
pub(crate) struct TreeDepth {
    depth: usize,
    limit: usize,
    exceeded: bool,
}

impl TreeDepth {
    pub(crate) fn new(limit: usize) -> TreeDepth {
        TreeDepth {
            depth: 0,
            limit,
            exceeded: false,
        }
    }

    /// A node starts; `false` once the tree is too deep (the rest of it must not be built).
    pub(crate) fn enter(&mut self) -> bool {
        self.depth += 1;
        self.exceeded |= self.depth > self.limit;
        !self.exceeded
    }

    pub(crate) fn exit(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exceeded(text: &str, grammar: Grammar, limit: usize) -> Option<usize> {
        nesting_limit_exceeded(text, grammar, limit)
    }

    #[test]
    fn brackets_and_case_count_but_not_inside_strings_or_comments() {
        assert_eq!(exceeded("SELECT ((1))", Grammar::Sql, 2), None);
        assert_eq!(exceeded("SELECT (((1)))", Grammar::Sql, 2), Some(9));
        assert_eq!(
            exceeded("SELECT '(((' , /* ((( */ 1", Grammar::Sql, 0),
            None
        );
        assert_eq!(
            exceeded(
                "SELECT CASE WHEN CASE WHEN x THEN 1 END THEN 2 END",
                Grammar::Sql,
                1
            ),
            Some(17)
        );
        // A `)` inside a string does not close anything.
        assert_eq!(
            exceeded("SELECT ( ')' , ( ')' , (", Grammar::Sql, 2),
            Some(23)
        );
    }

    #[test]
    fn prefix_operator_runs_count() {
        assert_eq!(exceeded("SELECT NOT NOT NOT x", Grammar::Sql, 2), Some(15));
        assert_eq!(exceeded("SELECT NOT a AND NOT b", Grammar::Sql, 2), None);
    }

    #[test]
    fn plpgsql_blocks_count_and_sql_transactions_do_not() {
        let sql = "BEGIN; COMMIT; BEGIN; COMMIT; BEGIN; COMMIT;";
        assert_eq!(exceeded(sql, Grammar::Sql, 1), None);
        let body = "BEGIN IF a THEN LOOP NULL; END LOOP; END IF; \
                    CREATE TABLE IF NOT EXISTS t (a int); IF b THEN NULL; END IF; END";
        assert_eq!(exceeded(body, Grammar::Plpgsql, 3), None);
        assert_eq!(exceeded(body, Grammar::Plpgsql, 2), Some(16));
    }

    #[test]
    fn tree_depth_stops_at_the_limit() {
        let mut depth = TreeDepth::new(2);
        assert!(depth.enter() && depth.enter());
        depth.exit();
        assert!(depth.enter());
        assert!(!depth.enter());
        assert!(depth.exceeded());
    }

    #[test]
    fn outgrowing_the_callers_bounds_moves_to_the_large_stack() {
        fn job(_: ()) -> (Limits, Option<String>) {
            let limits = limits();
            let on_large = std::thread::current().name() == Some("migrate-check");
            let message = (!on_large).then(|| refuse("statement", limits.nesting));
            (limits, message)
        }
        let (limits, message) = run(job, ());
        assert_eq!(limits.nesting, MAX_NESTING);
        assert_eq!(message, None);
        assert_eq!(STATE.get(), State::Idle);
        // A check within the caller's bounds stays on the caller's thread.
        fn small(_: ()) -> Option<String> {
            std::thread::current().name().map(str::to_owned)
        }
        assert_ne!(run(small, ()).as_deref(), Some("migrate-check"));
    }
}
