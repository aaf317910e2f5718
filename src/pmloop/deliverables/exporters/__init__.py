"""Launch-kit documents as files: pure functions from read models (``documents``) to a small
block model (``blocks.Document``), rendered as Markdown, Word (.docx), PDF (``pdf``) and, for
the checklist and the attendance sheet, Excel (``sheets``). No database access here."""
