"""The warehouse loader alone: a day's synthetic files loaded into a PostgreSQL of the bench's own, the way
`postings_warehouse` loads them (files in flight at once, each file one transaction, the day's indexes built
after), then replaced by a full refresh; rows/s, CPU per row of this process and of PostgreSQL, bytes per row.

The files are generated in memory first, so that only the loading is timed; no S3, Redis or model is involved.
"""

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import psutil
import psycopg
from psycopg import sql

from enrichment_platform.bench.data import Universe, generate_file
from enrichment_platform.devstack.postgres_server import start_postgres
from enrichment_platform.postings.parse import parse_postings, quarantine_jsonl
from enrichment_platform.postings.template import fill_seniority, seniority_template
from enrichment_platform.warehouse.loader import FILES_LOADED_AT_ONCE, Warehouse

SCHEMA = "bench"
DAY = date(2024, 7, 17)
START = 1721174400  # DAY's first second: the files are named by their minute, as the scraper's


@dataclass
class DayFile:
    name: str
    raw: bytes
    output: bytes
    quarantine: bytes | None


def day_files(files: int, lines: int, universe: Universe, seed: int) -> list[DayFile]:
    """Raw files of one day and the output and quarantine objects the flow writes for them (levels drawn)."""
    day = []
    for index in range(files):
        raw, _ = generate_file(universe, START + 60 * index, lines, seed + index)
        parsed = parse_postings(raw)
        template, offsets = seniority_template(parsed.valid_lines)
        levels = np.random.default_rng(seed + index).integers(1, 8, len(offsets), dtype=np.uint8)
        output = fill_seniority(template, offsets, (levels + ord("0")).tobytes())
        day.append(
            DayFile(f"{START + 60 * index}.jsonl", raw, output, quarantine_jsonl(parsed.quarantine) or None)
        )
    return day


def bytes_per_row(url: str, schema: str) -> float:
    """PostgreSQL's bytes on disk (tables, TOAST and indexes of every partition) per `job_postings` row."""
    postings = sql.Identifier(schema, "job_postings")
    with psycopg.connect(url) as connection:
        size, rows = connection.execute(
            sql.SQL(
                "SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
                "WHERE inhparent = %s::regclass), (SELECT count(*) FROM {})"
            ).format(postings),
            (postings.as_string(connection),),
        ).fetchone()
    return round(float(size) / rows, 1) if rows else 0.0


class PostgresCpu:
    """CPU seconds of every process of the PostgreSQL server (the postmaster, its backends and workers, those
    that ended included), when the server runs on this machine."""

    def __init__(self, url: str):
        with psycopg.connect(url) as connection:
            backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            self.postmaster = psutil.Process(psutil.Process(backend).ppid())
        except psutil.Error:
            self.postmaster = None  # a server elsewhere: its CPU is not ours to see

    def seconds(self) -> float | None:
        if self.postmaster is None:
            return None
        total = 0.0
        for process in (self.postmaster, *self.postmaster.children()):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
            if process is self.postmaster:
                total += times.children_user + times.children_system  # backends that ended
        return total


def load_pass(url: str, files: list[DayFile]) -> dict:
    """Load every file as postings_warehouse does; its seconds (indexing apart), rows and CPU."""
    warehouse, cpu = Warehouse(url, SCHEMA), PostgresCpu(url)
    postgres_before, client_before, started = cpu.seconds(), time.process_time(), time.perf_counter()
    try:
        warehouse.prepare(DAY)

        def load(file: DayFile) -> int:
            return warehouse.load_file(DAY, file.name, "bench", file.raw, file.output, file.quarantine)[
                "rows"
            ]

        with ThreadPoolExecutor(FILES_LOADED_AT_ONCE) as pool:
            rows = sum(pool.map(load, files))
        indexing_started = time.perf_counter()
        warehouse.finish(DAY)
        finished = time.perf_counter()
    finally:
        warehouse.close()
    postgres_after = cpu.seconds()
    seconds = finished - started
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "seconds_indexing": round(finished - indexing_started, 2),
        "rows_per_second": round(rows / seconds),
        "client_cpu_us_per_row": round(1e6 * (time.process_time() - client_before) / rows, 1),
        "postgres_cpu_us_per_row": (
            round(1e6 * (postgres_after - postgres_before) / rows, 1) if postgres_before is not None else None
        ),
        "bytes_per_row": bytes_per_row(url, SCHEMA),
    }


def run_warehouse_bench(files: int, lines: int, seed: int = 7) -> dict:
    """A first load of a day into empty partitions, then a full refresh replacing each file's rows."""
    print(f"[bench] generating {files} files x {lines} lines ...", flush=True)
    day = day_files(files, lines, Universe.build(200_000, 1.1, seed), seed)
    with (
        tempfile.TemporaryDirectory(prefix="warehouse-bench-") as work,
        start_postgres(Path(work)) as postgres,
    ):
        print("[bench] first load ...", flush=True)
        first = load_pass(postgres.libpq_url, day)
        print("[bench] full refresh ...", flush=True)
        refresh = load_pass(postgres.libpq_url, day)
    return {"files": files, "lines_per_file": lines, "first_load": first, "full_refresh": refresh}
