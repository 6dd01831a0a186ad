"""`enrichment-platform`: operator commands (cache namespaces, benchmarks)."""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from enrichment_platform.bench.cache import DEFAULT_LOOKUP_BATCHES, run_cache_bench
from enrichment_platform.bench.flow import BenchConfig, run_flow_bench
from enrichment_platform.bench.model import run_model_bench
from enrichment_platform.bench.s3 import as_dicts, as_markdown, run_s3_bench
from enrichment_platform.defs.resources.cache import SeniorityCache, redacted_url
from enrichment_platform.settings import setting


def cache_namespaces(arguments: argparse.Namespace) -> None:
    cache = SeniorityCache(redis_url=arguments.redis_url)
    infos = cache.namespaces()
    if not infos:
        print(f"no cache namespaces in {redacted_url(arguments.redis_url)}")
        return
    print(f"{'namespace':<24} {'pairs':>14} {'bucket bits':>11}  created (UTC)")
    for info in infos:
        created = datetime.fromtimestamp(info.created, tz=UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{info.name:<24} {info.pairs:>14,} {info.bucket_bits:>11}  {created}")


def cache_drop(arguments: argparse.Namespace) -> None:
    cache = SeniorityCache(redis_url=arguments.redis_url)
    known = {info.name for info in cache.namespaces()}
    if arguments.namespace not in known:
        sys.exit(
            f"no namespace {arguments.namespace!r} in {redacted_url(arguments.redis_url)}; "
            f"known: {', '.join(sorted(known)) or 'none'}"
        )
    removed = cache.drop_namespace(arguments.namespace)
    print(f"dropped namespace {arguments.namespace}: {removed:,} keys removed")


def cache_bench(arguments: argparse.Namespace) -> None:
    batches = tuple(int(size) for size in arguments.lookup_batches.split(","))
    result = run_cache_bench(arguments.redis_url, arguments.pairs, arguments.batch, lookup_batches=batches)
    print(result.as_markdown())
    print(json.dumps(result.as_dict()), flush=True)


def model_bench(arguments: argparse.Namespace) -> None:
    result = run_model_bench(
        arguments.redis_url, arguments.pairs, arguments.clients, arguments.capacity, arguments.window
    )
    print(result.as_markdown())
    print(json.dumps(result.as_dict()), flush=True)


def s3_bench(arguments: argparse.Namespace) -> None:
    costs = run_s3_bench(arguments.requests)
    print(as_markdown(costs))
    print(json.dumps(as_dicts(costs)), flush=True)


def flow_bench(arguments: argparse.Namespace) -> None:
    config = BenchConfig(
        files=arguments.files,
        lines_per_file=arguments.lines,
        universe=arguments.universe,
        zipf_exponent=arguments.zipf,
        cold_files=arguments.cold_files,
        capacity=arguments.capacity,
        results_dir=arguments.results_dir,
    )
    print(json.dumps(run_flow_bench(config)), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="enrichment-platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cache = commands.add_parser("cache", help="the Redis cache of inferred seniority").add_subparsers(
        dest="cache_command", required=True
    )
    for name, handler, help_text in (
        ("namespaces", cache_namespaces, "list namespaces (one per model version) with their sizes"),
        ("drop", cache_drop, "delete a namespace, e.g. an old model version's"),
        ("bench", cache_bench, "bytes per pair, lookups/s and writes/s at a given number of pairs"),
    ):
        command = cache.add_parser(name, help=help_text)
        command.add_argument("--redis-url", default=setting("REDIS_URL"), help="default: REDIS_URL")
        command.set_defaults(handler=handler)
        if name == "drop":
            command.add_argument("namespace")
        if name == "bench":
            command.add_argument("--pairs", type=int, default=2_000_000)
            command.add_argument("--batch", type=int, default=100_000, help="keys per store call")
            command.add_argument(
                "--lookup-batches",
                default=",".join(str(size) for size in DEFAULT_LOOKUP_BATCHES),
                help="keys per lookup call, comma-separated: each size is measured",
            )
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
    flow = bench.add_parser(
        "flow", help="a synthetic day through the real assets: the operator's six questions"
    )
    flow.add_argument("--files", type=int, default=1440, help="files in the day (default 1440)")
    flow.add_argument("--lines", type=int, default=5555, help="lines per file (default 5555: 8M a day)")
    flow.add_argument("--universe", type=int, default=200_000, help="distinct pairs postings are drawn from")
    flow.add_argument("--zipf", type=float, default=1.1, help="popularity exponent of the pairs")
    flow.add_argument("--cold-files", type=int, default=20, help="files of the capped-model cold pass")
    flow.add_argument("--capacity", type=int, default=1000, help="model capacity for the cold pass, pairs/s")
    flow.add_argument("--results-dir", type=Path, default=Path("results"))
    flow.set_defaults(handler=flow_bench)
    return parser


def main(argv: list[str] | None = None) -> None:
    arguments = build_parser().parse_args(argv)
    arguments.handler(arguments)


if __name__ == "__main__":
    main()
