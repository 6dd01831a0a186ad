"""A faulty HTTP proxy in front of an S3 API endpoint: it answers 503 SlowDown or 500 InternalError, with S3's
XML error body, in bursts or for a whole outage, and forwards every other request unchanged."""

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from enrichment_platform.devstack.processes import LOCALHOST

S3_ERRORS = {
    503: ("Service Unavailable", "SlowDown", "Please reduce your request rate."),
    500: ("Internal Server Error", "InternalError", "We encountered an internal error. Please try again."),
}
# Headers that describe one hop, not the message: the proxy sets its own.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "expect",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
}


@dataclass
class _Bursts:
    every: int
    length: int
    statuses: tuple[int, ...]
    seen: int = 0


@dataclass
class _Outage:
    status: int
    trigger: str
    after: int
    forwarded_matching: int = 0


class FaultyS3:
    """Listens on a free 127.0.0.1 port (`url`) and forwards to `upstream` (moto's S3 server), except for the
    requests a test has told it to fail. Counts what it did in `forwarded` and `failed` (by status)."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.forwarded = 0
        self.failed: dict[int, int] = {}
        self._lock = threading.Lock()
        self._bursts: _Bursts | None = None
        self._outage: _Outage | None = None
        self._server = ThreadingHTTPServer((LOCALHOST, 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self
        self.url = f"http://{LOCALHOST}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-s3", daemon=True)
        self._thread.start()

    def bursts(self, every: int, length: int, statuses: tuple[int, ...] = (503, 500)) -> None:
        """From now on, the first `length` of every `every` requests fail; each burst takes its status from
        `statuses` in turn."""
        with self._lock:
            self._bursts = _Bursts(every, length, statuses)

    def outage(self, status: int = 503, trigger: str = "", after: int = 0) -> None:
        """Every request fails until `heal()`, from the moment `after` requests whose path contains `trigger`
        have been forwarded (at once with the defaults)."""
        with self._lock:
            self._outage = _Outage(status, trigger, after)

    def heal(self) -> None:
        with self._lock:
            self._bursts = self._outage = None

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())

    def _status_for(self, path: str) -> int | None:
        """The error status this request gets, or None to forward it (counted either way)."""
        with self._lock:
            outage, bursts = self._outage, self._bursts
            if outage and outage.forwarded_matching >= outage.after:
                status = outage.status
            elif bursts:
                position, bursts.seen = bursts.seen, bursts.seen + 1
                in_burst = position % bursts.every < bursts.length
                status = (
                    bursts.statuses[(position // bursts.every) % len(bursts.statuses)] if in_burst else None
                )
            else:
                status = None
            if status is None:
                self.forwarded += 1
                if outage and outage.trigger in path:
                    outage.forwarded_matching += 1
            else:
                self.failed[status] = self.failed.get(status, 0) + 1
            return status

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FaultyS3":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects

    def do_GET(self) -> None:
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: tests read the counters instead

    def _handle(self) -> None:
        body = self._read_body()  # read even when failing, so the connection stays usable
        status = self.server.proxy._status_for(self.path)
        if status is None:
            self._forward(body)
        else:
            self._answer_error(status)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _forward(self, body: bytes) -> None:
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        if body or self.command in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))
        upstream = http.client.HTTPConnection(*self.server.proxy.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        # A HEAD answer carries the object's length without its bytes.
        self.send_header(
            "Content-Length",
            response.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data)),
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer_error(self, status: int) -> None:
        reason, code, message = S3_ERRORS[status]
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<Resource>{escape(self.path)}</Resource><RequestId>faulty-s3</RequestId></Error>"
        ).encode()
        self.send_response_only(status, reason)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
