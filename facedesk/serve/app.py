"""The Starlette application: one endpoint translating JSON 1.1 requests into client calls.

No business logic here: a request is authenticated, its body decoded (wire.py), the
matching ``facedesk.client()`` method runs in a bounded thread pool (operations block on
dlib and SQLite; the storage layer's BEGIN IMMEDIATE + retry serialises writers) or, for
page-bounded reads while nothing else runs, on the event loop (INLINE_OPERATIONS), and
the response dict or the ClientError goes back in Rekognition's wire shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from facedesk.core.errors import ClientError
from facedesk.serve import auth, wire

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from facedesk.service.client import Client

log = logging.getLogger("facedesk.serve")

# Two 5 MiB images (CompareFaces) base64-encoded are 13.4 MiB; anything past this is not a
# Rekognition request, and is refused before it is read into memory.
MAX_BODY_BYTES = 14 * 1024 * 1024

# Reads whose work is bounded by one page (MaxResults <= 4096, 1000, 500 rows): run on the
# event loop itself when no other request is in flight, instead of hopping to a worker
# thread and back. The hop is two thread wake-ups and asyncio's future chaining: ListFaces
# of 100 faces cost the server 0.3-0.5 ms less CPU without it (bench/serve_inprocess.py
# --serve-ab). While another request runs in the pool they go there too, so a client
# never waits behind a long operation; and nothing unbounded (searches scale with the
# collection, IndexFaces with the image) ever runs on the loop.
INLINE_OPERATIONS = frozenset({"ListFaces", "ListCollections", "ListUsers"})


@dataclass(frozen=True)
class ServeConfig:
    credentials: auth.Credentials
    max_body_bytes: int = MAX_BODY_BYTES
    workers: int = 4


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused by its Content-Length before reading and capped while streaming
    (chunked uploads have no length to check)."""
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > limit:
                raise _TooLarge
        except ValueError:
            raise wire.WireError("SerializationException", "Bad Content-Length.") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(client: Client, config: ServeConfig) -> Starlette:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from facedesk.service.client import operation_names

    methods = {op: method for method, op in operation_names().items()}
    known = frozenset(methods)
    pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="facedesk-serve")

    def respond(status: int, body: bytes, request_id: str) -> Response:
        return Response(
            body,
            status_code=status,
            media_type=wire.CONTENT_TYPE,
            headers={"x-amzn-RequestId": request_id},
        )

    def error(code: str, message: str, request_id: str) -> Response:
        status, body = wire.encode_error(code, message)
        return respond(status, body, request_id)

    def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = getattr(client, methods[operation])(**params)
        return result

    in_flight = 0  # requests running in the pool (the loop is one thread: no lock)

    async def run(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        nonlocal in_flight
        if not in_flight and operation in INLINE_OPERATIONS:
            return call(operation, params)  # no await: no other request starts meanwhile
        in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call, operation, params)
        finally:
            in_flight -= 1

    async def endpoint(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            if request.method != "POST" or request.url.path != "/":
                raise wire.WireError(
                    "UnknownOperationException",
                    "Rekognition's JSON protocol takes POST / with X-Amz-Target.",
                )
            body = await _read_body(request, config.max_body_bytes)
            auth.verify(
                config.credentials,
                request.method,
                _signed_url(request),
                request.headers.items(),
                body,
            )
            operation = wire.operation_from_target(request.headers.get("x-amz-target"), known)
            decoded = wire.decode_request(operation, body)
            response = await run(operation, decoded.params)
        except _TooLarge:
            return error(
                "ImageTooLargeException",
                f"Request body is larger than {config.max_body_bytes} bytes.",
                request_id,
            )
        except wire.WireError as exc:
            return error(exc.code, exc.message, request_id)
        except ClientError as exc:
            return error(exc.code, exc.message, request_id)
        except Exception:
            log.exception("request %s failed", request_id)
            return error("InternalServerError", "Internal server error.", request_id)
        return respond(200, wire.encode_response(response), request_id)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:  # running operations finish (one transaction each); queued ones are dropped
            pool.shutdown(wait=True, cancel_futures=True)

    every_method = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/", endpoint, methods=every_method),
            Route("/{path:path}", endpoint, methods=every_method),
        ],
        lifespan=lifespan,
    )


def _signed_url(request: Request) -> str:
    """The URL as the client signed it: its Host header, path and raw query string."""
    host = request.headers.get("host", "")
    query = request.url.query
    return f"http://{host}{request.url.path}" + (f"?{query}" if query else "")
