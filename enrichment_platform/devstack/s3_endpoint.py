"""The local S3 API endpoint of the demo and the benchmark: moto's S3 backend served by waitress.

`moto_server` serves every AWS service through werkzeug's development server, which closes the connection
after each request and works out the service of each request anew. This serves moto's S3 app alone,
with HTTP/1.1 keep-alive and a fixed pool of threads: the same S3 API and behaviour at a quarter to two
fifths less CPU per request (`enrichment-platform bench s3` measures both),
which matters on a small machine where the endpoint shares the cores with the runs it serves.

    python -m enrichment_platform.devstack.s3_endpoint --host 127.0.0.1 --port 5000
"""

import argparse
import logging
import signal
import sys
from types import FrameType

THREADS = 8  # requests served at once: the files in flight of two concurrent steps
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


def serve(host: str, port: int) -> None:
    import waitress
    from moto.moto_server.werkzeug_app import create_backend_app

    _no_continue_for_empty_bodies()
    logging.getLogger("waitress").setLevel(logging.ERROR)
    waitress.serve(
        create_backend_app("s3"),
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
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit)
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
