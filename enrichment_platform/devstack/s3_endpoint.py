"""The local S3 API endpoint of the demo and the benchmark: moto's S3 backend served by waitress.

`moto_server` serves every AWS service through werkzeug's development server, which closes the connection
after each request and works out the service of each request anew. This serves moto's S3 app alone,
with HTTP/1.1 keep-alive and a fixed pool of threads: the same S3 API and behaviour at a quarter to two
fifths less CPU per request (`enrichment-platform bench s3` measures both),
which matters on a small machine where the endpoint shares the cores with the runs it serves.

A distant S3 answers in tens of milliseconds, this one in about one: `--latency-ms` (or, while it runs, a
PUT to `/_endpoint/latency?ms=N`) delays the answer to every S3 request by N ms, so the benchmark can measure
the flow at a realistic latency. The delay is a sleep in the endpoint, not a proxy in front of it: no extra
hop's CPU competes with the run on a small machine.

    python -m enrichment_platform.devstack.s3_endpoint --host 127.0.0.1 --port 5000 [--latency-ms 30]
"""

import argparse
import logging
import signal
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from types import FrameType
from urllib.parse import parse_qs

# Requests served at once: the files in flight of concurrent steps, each request perhaps waiting out the
# configured latency (a distant S3 serves any number of requests at once).
THREADS = 32
LATENCY_PATH = "/_endpoint/latency"  # not an S3 path: bucket names cannot start with "_"
BUFFER_BYTES = 1 << 18  # socket reads and writes: a posting file in a few calls, not hundreds
SPOOL_BYTES = 1 << 26  # request and response bodies up to 64 MB stay in memory instead of a temporary file


def _no_continue_for_empty_bodies() -> None:
    """Make waitress answer an empty body sent with `Expect: 100-continue` (botocore sends that header with
    every PutObject, so an empty object's PUT carries it): waitress 3.0 answers `100 Continue` to such a
    request and then never serves it, and the client times out."""
    from waitress.parser import HTTPRequestParser

    parse_header = HTTPRequestParser.parse_header

    def parse_header_without_empty_continue(self, header_plus):
        parse_header(self, header_plus)
        if self.expect_continue and not self.chunked and self.content_length == 0:
            self.expect_continue = False  # nothing to wait for: the request is complete

    HTTPRequestParser.parse_header = parse_header_without_empty_continue


class DelayedAnswers:
    """WSGI middleware: every request waits `latency_seconds` before the app answers it; a PUT to
    LATENCY_PATH with `?ms=N` sets the delay while the endpoint runs."""

    def __init__(self, app: Callable, latency_seconds: float = 0.0):
        self.app = app
        self.latency_seconds = latency_seconds

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == LATENCY_PATH:
            return self._set_latency(environ, start_response)
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        return self.app(environ, start_response)

    def _set_latency(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        values = parse_qs(environ.get("QUERY_STRING", "")).get("ms", [])
        if environ.get("REQUEST_METHOD") != "PUT" or len(values) != 1 or not values[0].isdigit():
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"PUT {LATENCY_PATH}?ms=<milliseconds> sets the delay of every answer\n".encode()]
        self.latency_seconds = int(values[0]) / 1000
        start_response("204 No Content", [])
        return []


def set_latency(endpoint_url: str, milliseconds: int) -> None:
    """Make a running endpoint delay its answers by `milliseconds` from now on (0: no delay)."""
    request = urllib.request.Request(f"{endpoint_url}{LATENCY_PATH}?ms={milliseconds}", method="PUT")
    urllib.request.urlopen(request, timeout=10).close()


def serve(host: str, port: int, latency_ms: int = 0) -> None:
    import waitress
    from moto.moto_server.werkzeug_app import create_backend_app

    _no_continue_for_empty_bodies()
    logging.getLogger("waitress").setLevel(logging.ERROR)
    waitress.serve(
        DelayedAnswers(create_backend_app("s3"), latency_ms / 1000),
        host=host,
        port=port,
        threads=THREADS,
        recv_bytes=BUFFER_BYTES,
        send_bytes=BUFFER_BYTES,
        inbuf_overflow=SPOOL_BYTES,
        outbuf_overflow=SPOOL_BYTES,
        _quiet=True,
    )


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local S3 API endpoint (moto's S3 backend, in memory).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="delay every answer by this many ms, as a distant S3 does"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit)
    serve(args.host, args.port, args.latency_ms)


if __name__ == "__main__":
    main()
