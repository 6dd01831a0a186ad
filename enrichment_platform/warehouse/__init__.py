r"""The warehouse: the exported postings and the quarantined lines of each raw file, loaded into PostgreSQL
for analysts (`job_postings`, `quarantined_lines`), one file per transaction, by COPY.

Every output line gets its row, whatever it holds. PostgreSQL's `jsonb` refuses some JSON that the platform
accepts: the NUL escape `\u0000` (jsonb cannot hold U+0000) and numbers beyond `numeric`'s range (such as
`1e-20000`). Such a row's `posting` holds the line with each NUL escape replaced by `\ufffd` (U+FFFD), or,
when jsonb still refuses it, the line parsed and serialized again (out-of-range numbers become what a double
holds, NUL still replaced); `posting_altered` is true and `original_line` holds the exact output line (NULL
on every other row). `company`, `title` and `seniority` are read from `posting`, so they show the same
replacement. A quarantined line whose text holds NUL characters (which `text` refuses) is stored with U+FFFD
in their place and `raw_altered` true; the quarantine object in S3 keeps the original. Large lines (up to
PostgreSQL's 255 MB for a jsonb value) and deep nesting (valid lines nest less than 1,024 levels: deeper ones
are quarantined) need no alteration. `content_sha256` is always the SHA-256 of the input line's own bytes
(without its line ending), so any row can be checked against the raw file.

This package imports no Dagster: `defs/` wraps it in the `postings_warehouse` asset and its check.
"""
