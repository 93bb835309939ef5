"""One loopback HTTP server lifecycle, for the simulator and the end-to-end notification sink.

A threading server on its own thread: ``start``/``stop`` (or ``with``), ``url``. The listen backlog is 128
(the standard library's 5 made one request in eight wait a second or more at 64 concurrent clients), and a
client that disconnects early (a scraper timing out) is not worth a traceback on stderr.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BACKLOG = 128


class _Server(ThreadingHTTPServer):
    request_queue_size = BACKLOG
    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return  # the client went away: nothing to report
        super().handle_error(request, client_address)


class LoopbackServer:
    """Serve ``handler`` (a BaseHTTPRequestHandler subclass) on ``host:port`` (0: any free port)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0, name: str = ""):
        self._server = _Server((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=name or "http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
