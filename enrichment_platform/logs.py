"""Log lines as JSON objects when ENRICHMENT_LOG_FORMAT=json, for every process: Dagster's run workers and
code server (the `console` logger of every job), the push API (uvicorn's loggers) and the model server.
Each line holds the time, level, logger and message, and where it applies the run id, job, step, partition
and raw file."""

import logging
import re
import sys
import time

import orjson

from enrichment_platform.settings import setting

FILE_NAME = re.compile(r"\b\d{9,11}\.jsonl\b")  # a raw file named in a message


def json_logs() -> bool:
    """Whether ENRICHMENT_LOG_FORMAT asks for JSON lines (`json`); anything else keeps the text format."""
    value = setting("ENRICHMENT_LOG_FORMAT").strip().lower()
    if value not in ("", "text", "json"):
        raise ValueError(f"ENRICHMENT_LOG_FORMAT is {value!r}: use json or text")
    return value == "json"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message; Dagster's run id, job, step,
    partition and event type from the record's `dagster_meta`; the first raw file the message names; the
    exception, if any."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.gmtime(record.created)
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
        }
        meta = getattr(record, "dagster_meta", None)
        message = record.getMessage()
        if meta:
            message = meta.get("orig_message") or message
            tags = meta.get("job_tags") or {}
            event = meta.get("dagster_event")
            entry |= {
                "run_id": meta.get("run_id"),
                "job": meta.get("job_name"),
                "step": meta.get("step_key"),
                "partition": tags.get("dagster/partition"),
                "event": event.event_type_value if event is not None else None,
            }
        entry["message"] = message
        named = FILE_NAME.search(message)
        if named:
            entry["file"] = named.group(0)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps({key: value for key, value in entry.items() if value is not None}).decode()


def configure_process_logging(level: int = logging.INFO) -> None:
    """The root logger of a plain process (the model server): JSON lines with ENRICHMENT_LOG_FORMAT=json,
    else `time level logger: message`."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs():
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])  # a process that configured logging keeps it


def uvicorn_log_config() -> dict | None:
    """uvicorn's logging configuration with JSON lines (None: uvicorn's own text format)."""
    if not json_logs():
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            name: {"handlers": ["json"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "enrichment_platform")
        },
    }


class JsonLinesHandler(logging.StreamHandler):
    """For Dagster's `python_logs.dagster_handler_config` (dagster.yaml): every run's log records as JSON
    lines on stdout when ENRICHMENT_LOG_FORMAT=json, nothing otherwise (Dagster's own text goes to stderr)."""

    def __init__(self):
        super().__init__(sys.stdout)
        self.setFormatter(JsonFormatter())
        self.enabled = json_logs()

    def emit(self, record: logging.LogRecord) -> None:
        if self.enabled:
            super().emit(record)
