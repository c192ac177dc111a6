//! Byte offsets to 1-based line and column (columns counted in characters, as editors do).

/// The start offset of every line of one text, and whether the line is ASCII.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Per line: on an ASCII line a column is a byte offset, with no characters to count, so
    /// thousands of diagnostics on one long line cost what one does.
    ascii: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let ascii = starts
            .iter()
            .zip(starts.iter().skip(1).copied().chain([text.len()]))
            .map(|(&start, end)| text.as_bytes()[start..end].is_ascii())
            .collect();
        LineIndex {
            text,
            starts,
            ascii,
        }
    }

    /// 1-based line and character column of `offset` (clamped to the text).
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = if self.ascii[line - 1] {
            offset - start + 1
        } else {
            self.text[start..offset].chars().count() + 1
        };
        (line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let index = LineIndex::new("ab\ncdé\nf");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(2), (1, 3));
        assert_eq!(index.line_col(3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(index.line_col(7), (2, 4));
        assert_eq!(index.line_col(8), (3, 1));
        assert_eq!(index.line_col(100), (3, 2));
    }
}
