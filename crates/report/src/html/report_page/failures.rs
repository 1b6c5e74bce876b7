//! Why questions failed, by cause: the table the terminal prints after the summary.

use std::fmt::Write;

use super::super::escape;
use liveclin_core::analysis::failures::FailureTable;

/// The failures by cause, with one message and the fix each; nothing when no question
/// failed.
pub(super) fn failures(out: &mut String, table: &FailureTable) {
    if table.is_empty() {
        return;
    }
    out.push_str("<section id=\"failures\">\n<h2>Failed questions by cause</h2>\n<table class=\"failures\">\n<tr><th>Cause</th><th class=\"num\">Questions</th><th>First message</th><th>Fix</th></tr>\n");
    for row in &table.rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(row.class.label()),
            row.mcqs,
            escape(&row.example),
            escape(row.class.fix())
        );
    }
    out.push_str("</table>\n<p class=\"note\">Each later question of a failed case is skipped and counted as wrong too.</p>\n</section>\n");
}
