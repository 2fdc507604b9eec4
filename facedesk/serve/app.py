"""The Starlette application: one endpoint translating JSON 1.1 requests into client calls.

The endpoint is a plain ASGI callable under Starlette's routing and lifespan: it reads the
ASGI scope's headers and body messages and sends its two response messages itself, without
Starlette's Request and Response objects around them (0.1 ms less server CPU per request,
bench/serve_inprocess.py --serve-ab; on a request that costs the server ~1 ms over the
operation, that is a tenth).

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
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from facedesk.core.errors import ClientError
from facedesk.serve import auth, wire

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import Receive, Scope, Send

    from facedesk.service.client import Client

log = logging.getLogger("facedesk.serve")

# Two 5 MiB images (CompareFaces) base64-encoded are 13.4 MiB; anything past this is not a
# Rekognition request, and is refused before it is read into memory.
MAX_BODY_BYTES = 14 * 1024 * 1024
_CONTENT_TYPE = wire.CONTENT_TYPE.encode()

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


class _Asgi:
    """An ASGI app for Starlette's Route: a plain function would be wrapped as a
    Request -> Response endpoint."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


async def _read_body(receive: Receive, length: str | None, limit: int) -> bytes:
    """The body, refused by its Content-Length before reading and capped while streaming
    (chunked uploads have no length to check)."""
    if length is not None:
        try:
            if int(length) > limit:
                raise _TooLarge
        except ValueError:
            raise wire.WireError("SerializationException", "Bad Content-Length.") from None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: nobody to answer
            raise wire.WireError("SerializationException", "The client disconnected.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def create_app(client: Client, config: ServeConfig) -> Starlette:
    from starlette.applications import Starlette
    from starlette.routing import Route

    from facedesk.service.client import operation_names

    methods = {op: method for method, op in operation_names().items()}
    known = frozenset(methods)
    pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="facedesk-serve")

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

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        request_id = str(uuid.uuid4())
        try:
            status, body = 200, await handle(scope, receive)
        except _TooLarge:
            status, body = wire.encode_error(
                "ImageTooLargeException",
                f"Request body is larger than {config.max_body_bytes} bytes.",
            )
        except (wire.WireError, ClientError) as exc:
            status, body = wire.encode_error(exc.code, exc.message)
        except Exception:
            log.exception("request %s failed", request_id)
            status, body = wire.encode_error("InternalServerError", "Internal server error.")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", _CONTENT_TYPE),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-requestid", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def handle(scope: Scope, receive: Receive) -> bytes:
        """The 200 response body, or an exception that endpoint() turns into an error."""
        if scope["method"] != "POST" or scope["path"] != "/":
            raise wire.WireError(
                "UnknownOperationException",
                "Rekognition's JSON protocol takes POST / with X-Amz-Target.",
            )
        # ASGI servers give header names lower-cased, as bytes. A repeated header: the
        # first one counts here (verify() sees them all, as it joins signed ones).
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lookup = dict(reversed(headers))
        body = await _read_body(receive, lookup.get("content-length"), config.max_body_bytes)
        # The URL as the client signed it: its Host header, the path and raw query string.
        query = scope["query_string"].decode("latin-1")
        url = f"http://{lookup.get('host', '')}/" + (f"?{query}" if query else "")
        auth.verify(config.credentials, "POST", url, headers, body)
        operation = wire.operation_from_target(lookup.get("x-amz-target"), known)
        decoded = wire.decode_request(operation, body)
        return wire.encode_response(await run(operation, decoded.params))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:  # running operations finish (one transaction each); queued ones are dropped
            pool.shutdown(wait=True, cancel_futures=True)

    every_method = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/", _Asgi(endpoint), methods=every_method),
            Route("/{path:path}", _Asgi(endpoint), methods=every_method),
        ],
        lifespan=lifespan,
    )
