"""The one loopback server helper (simulator, notification sink): backlog, quiet disconnects, clean stop."""

import socket
import urllib.request
from http.server import BaseHTTPRequestHandler

from monitoring.runtime.http import BACKLOG, LoopbackServer


class Hello(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b"hello" * 100_000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_serves_on_loopback_and_stops(capfd):
    with LoopbackServer(Hello) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert response.read(5) == b"hello"
        assert server._server.request_queue_size == BACKLOG >= 128
        host, port = server._server.server_address[:2]
        for _ in range(5):  # clients that hang up before reading the answer
            client = socket.create_connection((host, port), timeout=5)
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()  # RST: the server's write fails with a reset or broken pipe
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert response.status == 200
    assert "Traceback" not in capfd.readouterr().err
    try:
        socket.create_connection((host, port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    assert refused, "the port is closed after stop()"
