"""Running the app under uvicorn: in the foreground (``facedesk serve``) or on a thread (tests,
benchmarks), always on a socket bound here so the port is known before the first request."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from facedesk.serve.app import ServeConfig, create_app

if TYPE_CHECKING:
    import uvicorn

    from facedesk.service.client import Client


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: uvicorn writes a response's head and body apart,
    # and with Nagle on, the body waited for the client's delayed ACK, 40 ms a request
    # (bench/serve.py: ListFaces over HTTP 51.9 -> 5.9 ms p50 end to end).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


def make_server(client: Client, config: ServeConfig) -> uvicorn.Server:
    import uvicorn

    app = create_app(client, config)
    # No access log: request lines would name collections and faces on the console.
    # proxy_headers off: nothing sits in front of facedesk serve, so X-Forwarded-* is not to
    # be trusted, and uvicorn's ProxyHeadersMiddleware is one layer less per request.
    # http="auto" takes httptools (the serve extra installs it) over pure-Python h11.
    return uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            server_header=False,
            proxy_headers=False,
            ws="none",
            interface="asgi3",
        )
    )


@dataclass
class RunningServer:
    server: Any
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    client: Client, config: ServeConfig, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Serve on a background thread until ``stop()``; port 0 picks a free one."""
    sock = bind(host, port)
    server = make_server(client, config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="facedesk-serve", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("facedesk serve did not start")
        time.sleep(0.02)
    return RunningServer(server, thread, host, sock.getsockname()[1])
