"""Child servers (Prometheus, Alertmanager) with bounded start-up waits and guaranteed shutdown."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


class ServerError(RuntimeError):
    """A server did not start or did not become ready in time; the message ends with its log."""


def free_port() -> int:
    """A loopback port that was free a moment ago (the server binds it next; start() retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the process that started us dies.

    ``stop()`` is the normal way out; this covers a test run killed outright (CI timeout, SIGKILL),
    which would otherwise leave servers behind in their own session.
    """
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Server:
    """One child process on a loopback port, ready when ``ready_path`` answers 2xx."""

    def __init__(self, name: str, argv_for_port, ready_path: str, log_path: Path):
        self.name = name
        self._argv_for_port = argv_for_port  # port -> argv, so a port clash can be retried on another port
        self._ready_path = ready_path
        self.log_path = Path(log_path)
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, attempts: int = 3) -> Server:
        for attempt in range(attempts):
            self.port = free_port()
            self._launch()
            try:
                self._wait_ready(timeout)
                return self
            except ServerError:
                self.stop()
                if attempt == attempts - 1 or "address already in use" not in self.log_tail():
                    raise
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        with open(self.log_path, "ab") as log:
            # Own session: stopping the server never signals the test run, and vice versa.
            self._process = subprocess.Popen(
                self._argv_for_port(self.port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with code {self._process.returncode} while starting\n{self.log_tail()}"
                )
            if http_ok(self.url + self._ready_path, timeout=0.5):
                return
            time.sleep(0.1)
        raise ServerError(
            f"{self.name} was not ready within {timeout:g}s at {self.url}{self._ready_path}\n{self.log_tail()}"
        )

    def send_signal(self, sig: int) -> None:
        if self.running():
            self._process.send_signal(sig)

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no log at {self.log_path})"
        return "\n".join(f"  {self.name}| {line}" for line in text[-lines:])
