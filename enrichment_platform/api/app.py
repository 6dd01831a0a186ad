"""The push intake HTTP API as a FastAPI app: routes, bearer keys, errors as `{"error": "..."}`, and `serve`.

The routes translate HTTP to `intake.RequestStore` (parts, close, status, results) and
`lookup.SeniorityLookup` (synchronous levels); every blocking call runs in the threadpool, never on the
event loop.
"""

import hmac
from contextlib import ExitStack, asynccontextmanager
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from enrichment_platform.api.health import Readiness
from enrichment_platform.api.intake import (
    InvalidInputError,
    RequestClosedError,
    RequestNotDoneError,
    RequestStore,
    UnknownRequestError,
    check_erid,
    check_idempotency_key,
)
from enrichment_platform.api.lookup import MAX_PAIRS, SeniorityLookup
from enrichment_platform.api.metrics import ApiMetrics, MetricsMiddleware
from enrichment_platform.api.spool import MAX_PART_BYTES, PartSpool, PartTooLargeError
from enrichment_platform.cache.connection import CacheUnavailableError
from enrichment_platform.model_client.errors import ModelContractError, ModelUnavailableError
from enrichment_platform.pipeline.storage import S3AccessError
from enrichment_platform.settings import setting

# Media types a part may be sent as (parameters such as charset are ignored); none at all is accepted too.
PART_MEDIA_TYPES = ("application/x-ndjson", "application/jsonl", "text/plain", "application/octet-stream")
ERROR_STATUS = {
    InvalidInputError: 400,
    UnknownRequestError: 404,
    RequestClosedError: 409,
    RequestNotDoneError: 409,
    PartTooLargeError: 413,
    # A dependency failed (after its client's retries): the caller may retry later.
    CacheUnavailableError: 503,
    S3AccessError: 503,
    ModelUnavailableError: 503,
    ModelContractError: 503,
}


@dataclass
class Services:
    """What the routes use, opened once per process from the environment."""

    store: RequestStore
    lookup: SeniorityLookup
    readiness: Readiness
    api_keys: tuple[bytes, ...]


def api_keys_from(value: str) -> tuple[bytes, ...]:
    """The bearer keys of a comma-separated ENRICHMENT_API_KEYS value."""
    return tuple(key.strip().encode() for key in value.split(",") if key.strip())


def open_services(stack: ExitStack) -> Services:
    """The storage, cache and model resources as the Dagster definitions configure them from the
    environment, and the intake and lookup over them; `stack` closes them."""
    from enrichment_platform.defs.resources import default_resources

    resources = default_resources()
    requests = stack.enter_context(resources["requests"].process_config_and_initialize_cm())
    cache = stack.enter_context(resources["cache"].process_config_and_initialize_cm())
    model = stack.enter_context(resources["model"].process_config_and_initialize_cm())
    redis_url, requests_uri = setting("REDIS_URL"), setting("REQUESTS_URI")
    store = requests.store()  # on a Redis Cluster too: each request's keys share one slot
    stack.callback(store.redis.close)
    return Services(
        store=store,
        lookup=SeniorityLookup(cache, model),
        readiness=Readiness(redis_url, requests_uri, model.client),
        api_keys=api_keys_from(setting("ENRICHMENT_API_KEYS")),
    )


def services(request: Request) -> Services:
    return request.app.state.services


def require_key(request: Request) -> None:
    """Refuse (401) a /v1/ call without one of ENRICHMENT_API_KEYS as its bearer key."""
    keys = services(request).api_keys
    if not keys:
        raise HTTPException(
            401,
            "ENRICHMENT_API_KEYS is unset on this server, so every /v1/ call is refused; set it to "
            "comma-separated bearer keys",
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer key: send Authorization: Bearer <key>")
    token_bytes = token.strip().encode()
    matched = False
    for key in keys:  # every key compared, in constant time: the answer's timing tells nothing
        matched |= hmac.compare_digest(token_bytes, key)
    if not matched:
        raise HTTPException(401, "the bearer key is not one of ENRICHMENT_API_KEYS")


class Pair(BaseModel):
    company: str
    title: str


class SeniorityQuery(BaseModel):
    pairs: list[Pair] = Field(max_length=MAX_PAIRS)


v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@v1.post("/requests/{erid}/parts", status_code=202)
async def post_part(erid: str, request: Request) -> dict:
    """Stream the body to S3 through a temporary file, then number it; see intake.RequestStore."""
    check_erid(erid)
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type and media_type not in PART_MEDIA_TYPES:
        raise HTTPException(
            415,
            f"content type {media_type} is not taken; send JSONL as one of {', '.join(PART_MEDIA_TYPES)}"
            + (
                " (curl sends form data unless given -H 'Content-Type: application/x-ndjson')"
                if media_type == "application/x-www-form-urlencoded"
                else ""
            ),
        )
    idempotency_key = check_idempotency_key(request.headers.get("idempotency-key", ""))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PART_BYTES:
        raise PartTooLargeError(
            f"the part is over {MAX_PART_BYTES:,} bytes; split the postings into smaller parts"
        )
    app_services = services(request)
    earlier = await run_in_threadpool(app_services.store.check_part, erid, idempotency_key)
    if earlier is not None:
        return asdict(earlier)
    spool = PartSpool()
    try:
        async for chunk in request.stream():
            if spool.add(chunk):
                await run_in_threadpool(spool.flush)
        body = await run_in_threadpool(spool.finish)
        if spool.size == 0:
            raise InvalidInputError("the part is empty; send at least one line")
        answer, stored = await run_in_threadpool(
            app_services.store.store_part, erid, body, spool.lines, spool.size, idempotency_key
        )
    finally:
        await run_in_threadpool(spool.discard)
    if stored:
        request.app.state.metrics.part_stored(answer.lines, spool.size)
    return asdict(answer)


@v1.post("/requests/{erid}/close", status_code=202)
def close_request(erid: str, request: Request) -> dict:
    closed = services(request).store.close(check_erid(erid))
    return {
        "erid": erid,
        "status": "processing",
        "parts": len(closed["parts"]),
        "closed_at": closed["closed_at"],
    }


@v1.get("/requests/{erid}")
def request_status(erid: str, request: Request) -> dict:
    return services(request).store.status(check_erid(erid)).as_dict()


def result_route(which: str):
    def serve_result(erid: str, request: Request) -> StreamingResponse:
        chunks = services(request).store.result_chunks(check_erid(erid), which)
        return StreamingResponse(chunks, media_type="application/x-ndjson")

    serve_result.__name__ = f"request_{which}"
    return serve_result


v1.add_api_route("/requests/{erid}/output", result_route("output"), methods=["GET"])
v1.add_api_route("/requests/{erid}/quarantine", result_route("quarantine"), methods=["GET"])


@v1.post("/seniority")
def seniority(query: SeniorityQuery, request: Request) -> dict:
    app_services = services(request)
    levels, stats = app_services.lookup.levels([(pair.company, pair.title) for pair in query.pairs])
    request.app.state.metrics.lookup_answered(stats)
    return {"seniority": levels}


probes = APIRouter()


@probes.get("/healthz")
def healthz() -> dict:
    return {"status": "alive"}


@probes.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    checks = services(request).readiness.check()
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    if failed:
        return JSONResponse({"error": f"not ready: {', '.join(failed)} failed", "checks": checks}, 503)
    return JSONResponse({"status": "ready", "checks": checks})


@probes.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def add_error_handlers(app: FastAPI) -> None:
    """Every error answered as `{"error": "<what was wrong>"}`."""

    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(error.detail)}, status_code=error.status_code, headers=error.headers
        )

    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        return error_response(422, f"invalid body: {problems}")

    async def disconnected(request: Request, error: ClientDisconnect) -> JSONResponse:
        return error_response(
            400, "the client disconnected before sending the whole body; nothing was stored"
        )

    async def known_error(request: Request, error: Exception) -> JSONResponse:
        status = next(code for kind, code in ERROR_STATUS.items() if isinstance(error, kind))
        return error_response(status, str(error))

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(ClientDisconnect, disconnected)
    for kind in ERROR_STATUS:
        app.add_exception_handler(kind, known_error)


def create_app() -> FastAPI:
    """The app; its services are opened from the environment when it starts and closed when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with ExitStack() as stack:
            app.state.services = open_services(stack)
            yield

    app = FastAPI(title="enrichment_platform push intake", lifespan=lifespan)
    app.state.metrics = ApiMetrics(lambda: app.state.services.store.counts())
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(v1)
    app.include_router(probes)
    add_error_handlers(app)
    return app


def serve(host: str, port: int) -> None:
    """Serve the API with uvicorn until stopped."""
    import uvicorn

    from enrichment_platform.logs import uvicorn_log_config

    log_config = uvicorn_log_config()
    uvicorn.run(create_app(), host=host, port=port, **({"log_config": log_config} if log_config else {}))
