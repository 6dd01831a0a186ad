"""`enrichment-platform`: operator commands (cache namespaces, benchmarks, the push intake API).

Each command imports what it needs when it runs, so that `--help` and the cache commands work from a plain
install; the benchmarks that measure processes need the `bench` extra, those that start an S3 endpoint the
`local` extra.
"""

import argparse
import json
import sys
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

from enrichment_platform.settings import setting

# The headline figures `bench backfill` prints as JSON (its report has the rest).
BACKFILL_FIGURES = ("busy_share", "wall_seconds", "wall_ratio", "model_window_ratio", "distinct_new_pairs")

# The modules a benchmark needs beyond the runtime's, each with the extra that installs it.
BENCH_NEEDS = {
    "flow": {"psutil": "bench", "matplotlib": "bench", "moto": "local"},
    "s3": {"psutil": "bench", "moto": "local"},
    "api": {"moto": "local"},
    "freshness": {"moto": "local"},
    "backfill": {"matplotlib": "bench", "moto": "local"},
    "bigfile": {"psutil": "bench", "moto": "local"},
}


def require_bench_needs(benchmark: str) -> None:
    """Exit with the pip command that installs what the benchmark needs, when some of it is missing."""
    missing = {
        module: extra for module, extra in BENCH_NEEDS.get(benchmark, {}).items() if find_spec(module) is None
    }
    if missing:
        extras = ",".join(sorted(set(missing.values())))
        sys.exit(
            f"enrichment-platform bench {benchmark} needs {', '.join(missing)}, not installed here: "
            f"pip install 'enrichment_platform[{extras}]'"
        )


def cache_namespaces(arguments: argparse.Namespace) -> None:
    from enrichment_platform.cache.admin import namespaces
    from enrichment_platform.cache.connection import connect, redacted_url, redis_errors

    with redis_errors("listing namespaces", arguments.redis_url):
        client, _ = connect(arguments.redis_url, socket_connect_timeout=5)
        with client:
            infos = namespaces(client)
    if not infos:
        print(f"no cache namespaces in {redacted_url(arguments.redis_url)}")
        return
    print(f"{'namespace':<24} {'pairs':>14} {'buckets':>12}  created (UTC)")
    for info in infos:
        created = datetime.fromtimestamp(info.created, tz=UTC).strftime("%Y-%m-%d %H:%M")
        fixed = "" if info.fixed_bucket_bits is None else "  fixed-size layout: run `cache migrate` on it"
        print(f"{info.name:<24} {info.pairs:>14,} {info.buckets:>12,}  {created}{fixed}")


def cache_drop(arguments: argparse.Namespace) -> None:
    from enrichment_platform.cache.admin import drop_namespace, namespaces
    from enrichment_platform.cache.connection import connect, redacted_url, redis_errors

    with redis_errors("dropping a namespace", arguments.redis_url):
        client, _ = connect(arguments.redis_url, socket_connect_timeout=5)
        with client:
            known = {info.name for info in namespaces(client)}
            if arguments.namespace not in known:
                sys.exit(
                    f"no namespace {arguments.namespace!r} in {redacted_url(arguments.redis_url)}; "
                    f"known: {', '.join(sorted(known)) or 'none'}"
                )
            removed = drop_namespace(client, arguments.namespace)
    print(f"dropped namespace {arguments.namespace}: {removed:,} keys removed")


def cache_migrate(arguments: argparse.Namespace) -> None:
    from enrichment_platform.defs.resources.cache import SeniorityCache

    moved = SeniorityCache(redis_url=arguments.redis_url).migrate(arguments.namespace)
    print(f"namespace {arguments.namespace}: {moved:,} level(s) moved to the growing layout")


def cache_bench(arguments: argparse.Namespace) -> None:
    from enrichment_platform.bench.cache import DEFAULT_CHECKPOINTS, DEFAULT_LOOKUP_BATCHES, run_cache_bench

    batches = (
        tuple(int(size) for size in arguments.lookup_batches.split(","))
        if arguments.lookup_batches
        else DEFAULT_LOOKUP_BATCHES
    )
    checkpoints = (
        tuple(int(size) for size in arguments.checkpoints.split(","))
        if arguments.checkpoints
        else DEFAULT_CHECKPOINTS
    )
    result = run_cache_bench(arguments.redis_url, checkpoints, arguments.batch, lookup_batches=batches)
    print(result.as_markdown())
    print(json.dumps(result.as_dict()), flush=True)


def model_bench(arguments: argparse.Namespace) -> None:
    from enrichment_platform.bench.model import run_model_bench

    result = run_model_bench(
        arguments.redis_url, arguments.pairs, arguments.clients, arguments.capacity, arguments.window
    )
    print(result.as_markdown())
    print(json.dumps(result.as_dict()), flush=True)


def s3_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("s3")
    from enrichment_platform.bench.s3 import as_dicts, as_markdown, run_s3_bench

    costs = run_s3_bench(arguments.requests)
    print(as_markdown(costs))
    print(json.dumps(as_dicts(costs)), flush=True)


def flow_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("flow")
    from enrichment_platform.bench.flow import BenchConfig, run_flow_bench

    config = BenchConfig(
        files=arguments.files,
        lines_per_file=arguments.lines,
        universe=arguments.universe,
        zipf_exponent=arguments.zipf,
        cold_files=arguments.cold_files,
        capacity=arguments.capacity,
        s3_latency_ms=arguments.s3_latency_ms,
        results_dir=arguments.results_dir,
    )
    if arguments.checkout:
        config.checkout = arguments.checkout.resolve()
    if arguments.passes:
        config.passes = tuple(arguments.passes.split(","))
    print(json.dumps(run_flow_bench(config)), flush=True)


def backfill_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("backfill")
    from enrichment_platform.bench.backfill import BackfillConfig, run_backfill_bench

    config = BackfillConfig(
        dates=arguments.dates,
        files=arguments.files,
        lines_per_file=arguments.lines,
        universe=arguments.universe,
        capacity=arguments.capacity,
        instance_config=arguments.dagster_yaml.resolve(),
        results_dir=arguments.results_dir,
    )
    print(
        json.dumps(
            {key: value for key, value in run_backfill_bench(config).items() if key in BACKFILL_FIGURES}
        )
    )


def bigfile_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("bigfile")
    from enrichment_platform.bench.bigfile import BigFileConfig, run_bigfile_bench

    config = BigFileConfig(size_mb=arguments.size_mb, results_dir=arguments.results_dir)
    if arguments.checkout:
        config.checkout = arguments.checkout.resolve()
    result = run_bigfile_bench(config)
    print(json.dumps({key: result[key] for key in ("file_mb", "lines", "wall_seconds", "peak_rss_mb")}))


def warehouse_bench(arguments: argparse.Namespace) -> None:
    from enrichment_platform.bench.warehouse import run_warehouse_bench

    print(json.dumps(run_warehouse_bench(arguments.files, arguments.lines)), flush=True)


def api_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("api")
    from enrichment_platform.bench.api import ApiBenchConfig, run_api_bench

    config = ApiBenchConfig(
        clients=arguments.clients, parts=arguments.parts, lines=arguments.lines, capacity=arguments.capacity
    )
    print(json.dumps(run_api_bench(config)), flush=True)


def freshness_bench(arguments: argparse.Namespace) -> None:
    require_bench_needs("freshness")
    from enrichment_platform.bench.freshness import FreshnessConfig, run_freshness_bench

    config = FreshnessConfig(
        history_files=arguments.history_files,
        files=arguments.files,
        interval=arguments.interval,
        lines=arguments.lines,
        results_dir=arguments.results_dir,
    )
    print(json.dumps(run_freshness_bench(config)), flush=True)


def api(arguments: argparse.Namespace) -> None:
    from enrichment_platform.api.app import serve

    serve(arguments.host, arguments.port)


def add_api_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "api", help="serve the push intake HTTP API (keys: ENRICHMENT_API_KEYS, storage: REQUESTS_URI)"
    )
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=8000)
    command.set_defaults(handler=api)


def add_cache_commands(commands: argparse._SubParsersAction) -> None:
    cache = commands.add_parser("cache", help="the Redis cache of inferred seniority").add_subparsers(
        dest="cache_command", required=True
    )
    for name, handler, help_text in (
        ("namespaces", cache_namespaces, "list namespaces (one per model version) with their sizes"),
        ("drop", cache_drop, "delete a namespace, e.g. an old model version's"),
        ("migrate", cache_migrate, "convert a namespace of the fixed-size layout of earlier versions"),
        ("bench", cache_bench, "bytes per pair, writes/s and lookups/s as one namespace grows"),
    ):
        command = cache.add_parser(name, help=help_text)
        command.add_argument("--redis-url", default=setting("REDIS_URL"), help="default: REDIS_URL")
        command.set_defaults(handler=handler)
        if name in ("drop", "migrate"):
            command.add_argument("namespace")
        if name == "bench":
            command.add_argument(
                "--checkpoints",
                help="pairs at which to measure while one namespace grows, comma-separated "
                "(default: 100,000, 1M, 5M and 20M)",
            )
            command.add_argument("--batch", type=int, default=100_000, help="keys per store call")
            command.add_argument(
                "--lookup-batches",
                help="keys per lookup call, comma-separated: each size is measured (default: a file's few "
                "thousand distinct pairs, and two bulk sizes)",
            )


def add_bench_commands(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="benchmarks on local services").add_subparsers(
        dest="bench_command", required=True
    )
    model = bench.add_parser("model", help="raw inference speed, and capacity sharing by concurrent clients")
    model.add_argument("--redis-url", default=setting("REDIS_URL"), help="for the shared rate limit")
    model.add_argument("--pairs", type=int, default=20_000)
    model.add_argument("--clients", type=int, default=3)
    model.add_argument("--capacity", type=int, default=1000)
    model.add_argument("--window", type=float, default=10.0, help="seconds of the load window reported")
    model.set_defaults(handler=model_bench)
    s3 = bench.add_parser("s3", help="CPU per request of the local S3 endpoints (moto_server, s3_endpoint)")
    s3.add_argument("--requests", type=int, default=300, help="requests of each kind per endpoint")
    s3.set_defaults(handler=s3_bench)
    warehouse = bench.add_parser(
        "warehouse", help="the warehouse loader alone: a day's files loaded into PostgreSQL, then replaced"
    )
    warehouse.add_argument("--files", type=int, default=1440, help="files in the day (default 1440)")
    warehouse.add_argument("--lines", type=int, default=5555, help="lines per file (default 5555: 8M a day)")
    warehouse.set_defaults(handler=warehouse_bench)
    flow = bench.add_parser(
        "flow", help="a synthetic day through the real assets: the operator's six questions"
    )
    flow.add_argument("--files", type=int, default=1440, help="files in the day (default 1440)")
    flow.add_argument("--lines", type=int, default=5555, help="lines per file (default 5555: 8M a day)")
    flow.add_argument("--universe", type=int, default=200_000, help="distinct pairs postings are drawn from")
    flow.add_argument("--zipf", type=float, default=1.1, help="popularity exponent of the pairs")
    flow.add_argument("--cold-files", type=int, default=20, help="files of the capped-model cold pass")
    flow.add_argument("--capacity", type=int, default=1000, help="model capacity for the cold pass, pairs/s")
    flow.add_argument(
        "--s3-latency-ms", type=int, default=0, help="delay every S3 answer by this many ms (distant S3: 30)"
    )
    flow.add_argument(
        "--passes",
        help="passes to run, comma-separated (default: cold,fill,warm,one_file; also warm3: the warm day "
        "through the three file assets, hour: an hour of files as a user's run); those a pass needs (the "
        "cache fill, a one-file run) run too",
    )
    flow.add_argument(
        "--checkout",
        type=Path,
        help="the checkout whose platform code the runs import (default: the installed one), to compare "
        "versions",
    )
    flow.add_argument("--results-dir", type=Path, default=Path("results"))
    flow.set_defaults(handler=flow_bench)
    backfill = bench.add_parser(
        "backfill",
        help="one cold backfill of several dates from the asset graph, through the daemon and the run queue: "
        "how busy the model is, and the wall time against distinct new pairs / capacity",
    )
    backfill.add_argument("--dates", type=int, default=6, help="dates in the backfill")
    backfill.add_argument("--files", type=int, default=60, help="files per date")
    backfill.add_argument("--lines", type=int, default=5555, help="lines per file")
    backfill.add_argument(
        "--universe", type=int, default=200_000, help="distinct pairs postings are drawn from"
    )
    backfill.add_argument("--capacity", type=int, default=500, help="the model's capacity, pairs/s")
    backfill.add_argument(
        "--dagster-yaml",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "dagster.yaml",
        help="the instance's configuration (default: the checkout's dagster.yaml)",
    )
    backfill.add_argument("--results-dir", type=Path, default=Path("results"))
    backfill.set_defaults(handler=backfill_bench)
    bigfile = bench.add_parser(
        "bigfile",
        help="one raw file of a chosen size through every asset: the run's peak memory (goal <= 400 MB "
        "whatever the size) and time",
    )
    bigfile.add_argument(
        "--size-mb", type=int, default=1000, help="size of the raw file in MB (default 1000)"
    )
    bigfile.add_argument(
        "--checkout",
        type=Path,
        help="the checkout whose platform code the run imports (default: the installed one), to compare "
        "versions",
    )
    bigfile.add_argument("--results-dir", type=Path, default=Path("results"))
    bigfile.set_defaults(handler=bigfile_bench)
    api_load = bench.add_parser(
        "api",
        help="the push API under load: concurrent clients push parts, close and fetch (processed by "
        "Dagster's daemon and runs); then synchronous lookups of cached pairs",
    )
    api_load.add_argument("--clients", type=int, default=16, help="concurrent clients, one erid each")
    api_load.add_argument("--parts", type=int, default=20, help="parts per client")
    api_load.add_argument("--lines", type=int, default=1_000, help="lines per part")
    api_load.add_argument("--capacity", type=int, default=0, help="the model's pairs/s (0: unlimited)")
    api_load.set_defaults(handler=api_bench)
    freshness = bench.add_parser(
        "freshness",
        help="latency from a file landing to its output at the end of a day, with the sensor and the daemon",
    )
    freshness.add_argument("--history-files", type=int, default=1440, help="files already in the day")
    freshness.add_argument("--files", type=int, default=30, help="new files landing (timed)")
    freshness.add_argument("--interval", type=float, default=15.0, help="seconds between new files")
    freshness.add_argument("--lines", type=int, default=5555, help="lines per file (default 5555)")
    freshness.add_argument("--results-dir", type=Path, default=Path("results"))
    freshness.set_defaults(handler=freshness_bench)


def build_parser() -> argparse.ArgumentParser:
    """The command line; settings used as defaults are read now, not when the module is imported."""
    parser = argparse.ArgumentParser(prog="enrichment-platform", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_cache_commands(commands)
    add_bench_commands(commands)
    add_api_command(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    arguments = build_parser().parse_args(argv)
    arguments.handler(arguments)


if __name__ == "__main__":
    main()
