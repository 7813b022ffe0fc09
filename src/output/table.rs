//! Table: comfy-table, fitted to the terminal width when stdout is a terminal, with a bold
//! header only when colour is allowed. Rows are held until `finish`, which sizes the columns.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, ContentArrangement, Table, presets};

use super::{RowWriter, Style, Value};

/// Collects rows and prints them as one table.
pub struct TableWriter<'a> {
    table: Table,
    out: Box<dyn Write + 'a>,
    rows: usize,
}

impl<'a> TableWriter<'a> {
    /// A table with these columns.
    pub fn new(columns: Vec<String>, out: Box<dyn Write + 'a>, style: Style) -> Self {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED);
        // Fit the terminal only when its width is known and usable (a pty may report 0).
        if style.terminal && table.width().is_some_and(|w| w >= 40) {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table.force_no_tty();
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        let header: Vec<Cell> = columns
            .into_iter()
            .map(|c| {
                if style.color {
                    Cell::new(c).add_attribute(Attribute::Bold)
                } else {
                    Cell::new(c)
                }
            })
            .collect();
        table.set_header(header);
        TableWriter {
            table,
            out,
            rows: 0,
        }
    }
}

impl RowWriter for TableWriter<'_> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        // Control characters (a newline or an escape sequence in a file name) are shown
        // escaped: a cell never breaks the table's lines nor steers the terminal.
        self.table.add_row(
            values
                .iter()
                .map(|v| Cell::new(super::escape_controls(&v.to_text()))),
        );
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows > 0 {
            writeln!(self.out, "{}", self.table)?;
        }
        self.out.flush()
    }
}
