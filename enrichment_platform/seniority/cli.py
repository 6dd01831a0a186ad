"""Command line of the seniority model service.

`seniority-model serve|train|evaluate|build-training-data|version`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from enrichment_platform.logs import configure_process_logging
from enrichment_platform.seniority.model import SeniorityClassifier, default_model_path
from enrichment_platform.seniority.server import (
    DEFAULT_CAPACITY,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_HOST,
    DEFAULT_MAX_WORKERS,
    DEFAULT_PORT,
    serve,
)
from enrichment_platform.seniority.title_generator import SEED
from enrichment_platform.seniority.training_data import DEFAULT_TRAINING_DATA_PATH

logger = logging.getLogger("enrichment_platform.seniority")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seniority-model", description="Seniority model service: serve, train and inspect the model."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="serve SeniorityModel.InferSeniority over gRPC")
    serve_parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    serve_parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to bind, 0 picks a free one (default {DEFAULT_PORT})",
    )
    serve_parser.add_argument(
        "--capacity",
        type=float,
        default=DEFAULT_CAPACITY,
        help="pairs per second the emulated endpoint processes, 0 = unlimited "
        f"(default {DEFAULT_CAPACITY:g})",
    )
    serve_parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model artifact (default $SENIORITY_MODEL_PATH or the artifact installed with the package)",
    )
    serve_parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        help="seconds in-flight calls may take to finish on shutdown",
    )
    serve_parser.add_argument(
        "--request-log",
        type=Path,
        default=None,
        help="append one line per call: arrival unix time and pairs (load analysis)",
    )
    serve_parser.add_argument(
        "--tls-cert", type=Path, default=None, help="PEM server certificate (enables TLS)"
    )
    serve_parser.add_argument("--tls-key", type=Path, default=None, help="PEM private key of --tls-cert")
    serve_parser.add_argument(
        "--tls-client-ca",
        type=Path,
        default=None,
        help="PEM CA that client certificates must be signed by (mutual TLS)",
    )
    serve_parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics at http://HOST:PORT/metrics (0: a free port; default: none)",
    )
    serve_parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        help="threads serving calls (calls beyond them queue, they are not rejected)",
    )

    train_parser = commands.add_parser(
        "train", help="train the model and write the artifact and metrics.json"
    )
    train_parser.add_argument("--data", type=Path, default=DEFAULT_TRAINING_DATA_PATH, help="training CSV")
    train_parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="artifact path (default $SENIORITY_MODEL_PATH or the artifact installed with the package)",
    )

    evaluate_parser = commands.add_parser(
        "evaluate",
        help="score a model artifact on the independent evaluation titles: markdown tables, confusion matrix",
    )
    evaluate_parser.add_argument(
        "--model", type=Path, default=None, help="model artifact (default as for serve)"
    )
    evaluate_parser.add_argument(
        "--data", type=Path, default=None, help="evaluation CSV (default resources/evaluation/titles.csv)"
    )
    evaluate_parser.add_argument(
        "--misses", action="store_true", help="also list every title the model gets wrong"
    )

    data_parser = commands.add_parser(
        "build-training-data", help="regenerate the labeled training titles CSV"
    )
    data_parser.add_argument("--out", type=Path, default=DEFAULT_TRAINING_DATA_PATH, help="CSV to write")
    data_parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")

    version_parser = commands.add_parser("version", help="print the version of a model artifact")
    version_parser.add_argument(
        "--model", type=Path, default=None, help="model artifact (default as for serve)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `seniority-model` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    configure_process_logging(logging.INFO)
    try:
        if args.command == "serve":
            serve(
                args.model,
                args.host,
                args.port,
                args.capacity,
                args.grace,
                args.max_workers,
                args.request_log,
                args.tls_cert,
                args.tls_key,
                args.tls_client_ca,
                args.metrics_port,
            )
        elif args.command == "train":
            # Imported here so `serve` does not pay for the training-only imports.
            from enrichment_platform.seniority.train import format_report, train_and_save

            out = args.out or default_model_path()
            metrics = train_and_save(args.data, out)
            print(format_report(metrics))
            print(f"wrote {out} and {out.parent / 'metrics.json'}")
        elif args.command == "evaluate":
            from enrichment_platform.seniority.evaluation import (
                evaluate_model,
                format_evaluation,
                read_evaluation_set,
            )

            rows = read_evaluation_set(args.data)
            report = evaluate_model(SeniorityClassifier.load(args.model), rows)
            print(format_evaluation(report, show_misses=args.misses))
        elif args.command == "build-training-data":
            from enrichment_platform.seniority.title_generator import generate_training_titles
            from enrichment_platform.seniority.training_data import summarize, write_training_data

            rows = generate_training_titles(args.seed)
            write_training_data(rows, args.out)
            print(f"wrote {args.out}: {summarize(rows)}")
        elif args.command == "version":
            print(SeniorityClassifier.load(args.model).version)
    except (FileNotFoundError, OSError, ValueError) as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
