"""A local stand-in for Slack and PagerDuty: records every JSON payload Alertmanager posts to it."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from monitoring.runtime.http import LoopbackServer


@dataclass(frozen=True)
class Delivery:
    at: float  # time.monotonic() when it arrived
    path: str  # e.g. /slack/<receiver> or /pagerduty/<receiver>
    payload: dict
    authorization: str = ""  # the request's Authorization header (a webhook's http_config credentials)


class Sink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        self._server = LoopbackServer(self._handler(), host, port, name="sink")

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> Sink:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def deliveries(self, since: float = 0.0) -> list[Delivery]:
        with self._changed:
            return [d for d in self._deliveries if d.at >= since]

    def wait(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate(deliveries)`` is true (bounded); returns whether it became true."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self._deliveries)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def _record(self, path: str, payload: dict, authorization: str = "") -> None:
        with self._changed:
            self._deliveries.append(Delivery(time.monotonic(), path, payload, authorization))
            self._changed.notify_all()

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"unparsed": body.decode(errors="replace")}
                sink._record(self.path, payload, self.headers.get("Authorization") or "")
                # Slack answers "ok"; PagerDuty's events API answers 202 with a status object.
                reply = b"ok" if self.path.startswith("/slack") else b'{"status":"success"}'
                self.send_response(202 if self.path.startswith("/pagerduty") else 200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        return Handler
