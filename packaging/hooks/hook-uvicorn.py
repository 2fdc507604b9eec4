"""PyInstaller hook: uvicorn for ``facedesk serve``.

uvicorn picks its event loop, HTTP protocol and lifespan handler by import string at run
time (``uvicorn.config.LOOP_FACTORIES`` / ``HTTP_PROTOCOLS`` / ``LIFESPAN``), which the
import graph cannot see. Only what facedesk.serve.server configures is listed: the asyncio
loop, httptools (``http="auto"`` takes it when importable) with h11 as its fallback,
lifespan "on"; no websockets (``ws="none"``), no reload or multi-process supervisors.
"""

hiddenimports = [
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.lifespan.on",
    "uvicorn.lifespan.off",
    # Starlette runs on anyio, which imports its backend by name.
    "anyio._backends._asyncio",
]
