"""Loading one raw file's rows into the warehouse: its old rows deleted and the new ones copied in (binary
COPY into the day's partitions), in one transaction, so that a file's rows appear together and a rerun or a
replaced file never duplicates any."""

import threading
from collections.abc import Callable
from datetime import date
from functools import partial

import psycopg
from psycopg import sql

from enrichment_platform.pipeline.chunks import Pieces
from enrichment_platform.warehouse.connection import connect, database_errors
from enrichment_platform.warehouse.rows import (
    COPIED_COLUMNS,
    COPY_SIGNATURE,
    COPY_TRAILER,
    PostingRows,
    copy_binary_rows,
    file_rows,
    quarantine_chunks,
    quarantine_rows,
    reserialized,
)
from enrichment_platform.warehouse.schema import (
    POSTINGS_TABLE,
    QUARANTINE_TABLE,
    create_day_indexes,
    create_day_partitions,
    create_tables,
    day_has_rows,
    partition_name,
)

# Files loaded at once, each in its own transaction and connection: PostgreSQL's CPU, not waiting, bounds a
# load, so more would only add connections.
FILES_LOADED_AT_ONCE = 4
_QUARANTINE_COPIED = ("posting_date", "source_file", "line_number", "error", "raw", "raw_altered")


class Warehouse:
    """The warehouse at `url`, schema `schema`: one connection per thread, since files load concurrently."""

    def __init__(self, url: str, schema: str):
        self.url, self.schema = url, schema
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._indexes_deferred = False

    def _connection(self) -> psycopg.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            connection = connect(self.url)
            connection.autocommit = True  # transactions are explicit: one per file
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _table(self, table: str) -> sql.Composed:
        return sql.Identifier(self.schema, table)

    def prepare(self, day: date) -> None:
        """Create the tables where missing, check their columns, and create `day`'s partitions, and its
        indexes unless the day holds no rows yet: those `finish` builds once the rows are in."""
        with database_errors(self.url, f"creating the tables of schema {self.schema} for {day}"):
            connection = self._connection()
            create_tables(connection, self.schema)
            create_day_partitions(connection, self.schema, day)
            self._indexes_deferred = not day_has_rows(connection, self.schema, day)
            if not self._indexes_deferred:
                create_day_indexes(connection, self.schema, day)

    def finish(self, day: date) -> None:
        """Create `day`'s indexes where missing: after a load into an empty day, one sort of its rows instead
        of an insert per row (then the planner's statistics of the day are gathered too)."""
        with database_errors(self.url, f"indexing {day} of {self.schema}.{POSTINGS_TABLE}"):
            connection = self._connection()
            create_day_indexes(connection, self.schema, day)
            if self._indexes_deferred:
                connection.execute(
                    sql.SQL("ANALYZE {}").format(self._table(partition_name(POSTINGS_TABLE, day)))
                )

    def load_file(
        self, day: date, name: str, model_version: str, raw: bytes, output: bytes, quarantine: bytes | None
    ) -> dict:
        """`load_pieces` of whole objects."""
        return self.load_pieces(
            day,
            name,
            model_version,
            lambda: (raw,),
            lambda: (output,),
            (lambda: (quarantine,)) if quarantine else None,
        )

    def load_pieces(
        self, day: date, name: str, model_version: str, raw: Pieces, output: Pieces, quarantine: Pieces | None
    ) -> dict:
        """Replace the rows of file `name` of `day` by those of its output and quarantine objects (`raw`
        gives the line numbers and content hashes); its facts for the manifest. Each object is read a piece
        at a time and its rows made a chunk of lines at a time, so that memory does not grow with the file."""
        action = f"loading {name} of {day} into {self.schema}.{POSTINGS_TABLE} and {QUARANTINE_TABLE}"
        with database_errors(self.url, action):
            connection = self._connection()
            try:
                return self._replace_rows(connection, day, name, model_version, raw, output, quarantine)
            except psycopg.DataError:  # jsonb refused a line as it is: find which, and store them altered
                with connect(self.url) as checker:
                    checker.autocommit = True  # a refused line does not end the checks of the others
                    fit = partial(self._fit_refused, checker)
                    return self._replace_rows(
                        connection, day, name, model_version, raw, output, quarantine, fit
                    )

    def _replace_rows(
        self,
        connection: psycopg.Connection,
        day: date,
        name: str,
        model_version: str,
        raw: Pieces,
        output: Pieces,
        quarantine: Pieces | None,
        fit: Callable[[PostingRows], None] | None = None,
    ) -> dict:
        delete = "DELETE FROM {} WHERE posting_date = %s AND source_file = %s"
        copy = "COPY {} ({}) FROM STDIN"
        # Straight into the day's partitions (prepare() created them): no routing of each row by its date.
        postings = self._table(partition_name(POSTINGS_TABLE, day))
        quarantine_table = self._table(partition_name(QUARANTINE_TABLE, day))
        facts = dict.fromkeys(("rows", "quarantine_rows", "altered_rows", "altered_quarantine_rows"), 0)
        with connection.transaction(), connection.cursor() as cursor:
            for table in (postings, quarantine_table):
                cursor.execute(sql.SQL(delete).format(table), (day, name))
            if quarantine is not None:
                columns = sql.SQL(", ").join(map(sql.Identifier, _QUARANTINE_COPIED))
                with cursor.copy(sql.SQL(copy).format(quarantine_table, columns)) as copy_rows:
                    for records in quarantine_chunks(quarantine()):
                        for line_number, error, raw_line, altered in quarantine_rows(records):
                            copy_rows.write_row((day, name, line_number, error, raw_line, altered))
                            facts["quarantine_rows"] += 1
                            facts["altered_quarantine_rows"] += altered
            columns = sql.SQL(", ").join(map(sql.Identifier, COPIED_COLUMNS))
            with cursor.copy(sql.SQL(copy + " (FORMAT BINARY)").format(postings, columns)) as copy_rows:
                copy_rows.write(COPY_SIGNATURE)
                for rows in file_rows(name, raw(), output(), quarantine() if quarantine else ()):
                    if fit is not None:
                        fit(rows)
                    copy_rows.write(copy_binary_rows(rows, day, name, model_version))
                    facts["rows"] += len(rows)
                    facts["altered_rows"] += len(rows.altered)
                copy_rows.write(COPY_TRAILER)
        return facts

    @staticmethod
    def _fit_refused(checker: psycopg.Connection, rows: PostingRows) -> None:
        """Alter each row whose posting jsonb refuses to the re-serialized form of its line, asked line by
        line on `checker` (only for a file whose copy was refused)."""
        for index in range(len(rows)):
            try:
                checker.execute("SELECT %s::text::jsonb", (rows.posting(index).decode(),))
            except psycopg.DataError:
                rows.altered[index] = reserialized(rows.lines[index])

    def row_counts(self, day: date, files: list[str] | None = None) -> dict[str, tuple[int, int]]:
        """File name -> (job_postings rows, quarantined_lines rows) of `day`, of every file or of `files`."""
        counts: dict[str, list[int]] = {}
        query = "SELECT source_file, count(*) FROM {} WHERE posting_date = %s"
        query += "" if files is None else " AND source_file = ANY(%s)"
        query += " GROUP BY source_file"
        parameters = (day,) if files is None else (day, files)
        with database_errors(self.url, f"counting the rows of {day} in schema {self.schema}"):
            connection = self._connection()
            exists = "SELECT to_regclass(%s) IS NOT NULL"
            table_name = sql.Identifier(self.schema, POSTINGS_TABLE).as_string(connection)
            if not connection.execute(exists, (table_name,)).fetchone()[0]:
                return {}  # nothing loaded into this schema yet
            for index, table in enumerate((POSTINGS_TABLE, QUARANTINE_TABLE)):
                for name, count in connection.execute(sql.SQL(query).format(self._table(table)), parameters):
                    counts.setdefault(name, [0, 0])[index] = count
        return {name: (postings, quarantined) for name, (postings, quarantined) in counts.items()}

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
