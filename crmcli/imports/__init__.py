"""Bringing files in: customers (CSV/TSV/spreadsheet/JSON), vCards and purchase lines.

Every import has one shape, and each step lives in one module:

1. read the file: `reading` (sha256, encoding — BOM, UTF-8, else `charsets` —, dialect,
   missing-value markers, rows streamed with their line numbers);
2. map its headers to fields: `headers` (the names each field goes by, `--map`);
3. infer each date column's order: `file_dates`;
4. turn each row into a value or a `problems.RowProblem` (the reader's row validation);
5. write, all or nothing, recording each change in `journal` for `undo`; refuse the
   file with its problems grouped by reason (`problems`), or with `--skip-invalid`
   write the bad rows to a rejects file.

The readers: `customers` (a row → `customer_record.Record`, stored by
`customer_store`), `vcards` (a card → the same `Record`), `purchases` (a line → a row
of `purchases`). `evidence` is what a file says about its country (phone region).
"""
