"""Simulator + Prometheus (+ Alertmanager and a notification sink) on loopback, started and always stopped.

Used by the end-to-end tests (with the timing overlay) and by ``monitoring demo`` (with the real files).
Every server gets a free loopback port and temporary storage under ``workdir``; start-up waits are
bounded by readiness endpoints; ``stop()`` (or leaving the ``with`` block) stops whatever was started.
"""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path

from monitoring.e2e.http_api import Prometheus, SimulatorClient
from monitoring.e2e.processes import Server, ServerError
from monitoring.pipeline.serialize import GENERATED_HEADER, yaml_bytes
from monitoring.verify.tools import find_tool


def prometheus_config(
    rule_files: list[Path],
    job: str,
    target: str,
    alertmanager: str | None,
    scrape_interval: str,
    evaluation_interval: str,
) -> dict:
    config = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}],
    }
    if alertmanager:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    return config


class LocalStack:
    def __init__(
        self,
        workdir: Path,
        rules: dict[str, dict],
        job: str,
        *,
        alertmanager_files=None,
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        resend_delay: str = "1m",
        simulator_port: int = 0,
        seed: int = 1,
        rate: float = 100.0,
        start_timeout: float = 30.0,
    ):
        """``rules``: {file name: rendered rules}. ``alertmanager_files(sink_url, folder) -> {path: bytes}``
        gives the Alertmanager folder's files (``alertmanager.yml``, templates, secrets) once the sink's
        URL is known; ``None`` runs without Alertmanager."""
        self.workdir = Path(workdir)
        self._rules, self._job = rules, job
        self._alertmanager_files = alertmanager_files
        self._intervals = (scrape_interval, evaluation_interval, resend_delay)
        self._simulator_args = {"port": simulator_port, "seed": seed, "rate": rate}
        self._timeout = start_timeout
        self._cleanup = contextlib.ExitStack()
        self.simulator = self.sink = self.prometheus = self.alertmanager = None
        self.started = 0.0  # time.monotonic() when start() began: an always-firing alert fires from here on

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._cleanup.close()

    def start(self) -> LocalStack:
        self.started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from monitoring.e2e.sink import Sink
        from monitoring.runtime.simulator import Simulator

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.simulator = self._cleanup.enter_context(Simulator(**self._simulator_args))
        alertmanager_address = None
        if self._alertmanager_files is not None:
            self.sink = self._cleanup.enter_context(Sink())
            self.alertmanager = self._start_alertmanager()
            alertmanager_address = f"127.0.0.1:{self.alertmanager.port}"
        self.prometheus = self._start_prometheus(alertmanager_address)
        self._wait_for_first_scrape()
        self._load_rules()

    def _start_alertmanager(self) -> Server:
        folder = self.workdir / "alertmanager"
        for name, data in self._alertmanager_files(self.sink.url, folder).items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        from monitoring.verify.alertmanager_process import alertmanager_argv

        storage = self.workdir / "alertmanager-data"
        return self._serve(
            "alertmanager",
            lambda port: alertmanager_argv(
                [
                    f"--config.file={folder / 'alertmanager.yml'}",
                    f"--storage.path={storage}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    # the link templates fall back to for an alert without a dashboard_url: known, not the hostname
                    f"--web.external-url=http://127.0.0.1:{port}",
                    "--cluster.listen-address=",
                ]
            ),
        )

    def _start_prometheus(self, alertmanager_address: str | None) -> Server:
        self._write_prometheus_config(alertmanager_address, rule_files=[])
        config, resend = self.workdir / "prometheus.yml", self._intervals[2]
        binary, storage = find_tool("prometheus"), self.workdir / "prometheus-data"
        return self._serve(
            "prometheus",
            lambda port: [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={storage}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--rules.alert.resend-delay={resend}",
                # Targets start scraping after the first discovery reload, 5 s by default: rules wait for the
                # first scrape (_load_rules), so a short one keeps start-up quick. (A hidden flag; 2.42 accepts it.)
                "--scrape.discovery-reload-interval=200ms",
            ],
        )

    def _write_prometheus_config(self, alertmanager_address: str | None, rule_files: list[Path]) -> None:
        scrape, evaluation, _ = self._intervals
        target = self.simulator.url.removeprefix("http://")
        config = prometheus_config(rule_files, self._job, target, alertmanager_address, scrape, evaluation)
        (self.workdir / "prometheus.yml").write_bytes(yaml_bytes(config))

    def _load_rules(self) -> None:
        """Rules start once the first scrape has landed, as a real deployment's `for` (minutes) covers start-up.

        With the test overlay's `for` (5m / 60 = 5 s) an absent() alert evaluated before the first scrape would
        fire on a loaded machine; so Prometheus starts without rules and reloads (SIGHUP) with them here.
        """
        rule_dir = self.workdir / "rules"
        rule_dir.mkdir(exist_ok=True)
        rule_files = []
        for name, rules in sorted(self._rules.items()):
            path = rule_dir / name
            path.write_bytes(yaml_bytes(rules, GENERATED_HEADER))
            rule_files.append(path)
        alertmanager_address = f"127.0.0.1:{self.alertmanager.port}" if self.alertmanager else None
        self._write_prometheus_config(alertmanager_address, rule_files)
        self.prometheus.send_signal(signal.SIGHUP)
        expected = sum(len(group.get("rules", [])) for rules in self._rules.values() for group in rules["groups"])
        api, deadline = Prometheus(self.prometheus.url), time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if api.rule_count() >= expected:
                return
            time.sleep(0.1)
        raise ServerError(
            f"prometheus did not load the {expected} rules within {self._timeout:g}s\n{self.prometheus.log_tail()}"
        )

    def _serve(self, name: str, argv) -> Server:
        """Start one server on a free loopback port, logged to <name>.log, stopped when the stack closes."""
        server = Server(name, argv, "/-/ready", self.workdir / f"{name}.log")
        self._cleanup.callback(server.stop)
        return server.start(self._timeout)

    def _wait_for_first_scrape(self) -> None:
        api, deadline = Prometheus(self.prometheus.url), time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if api.targets_up():
                return
            time.sleep(0.2)
        raise ServerError(
            f"prometheus did not scrape the simulator at {self.simulator.url} within "
            f"{self._timeout:g}s\n{self.prometheus.log_tail()}"
        )

    @property
    def api(self) -> Prometheus:
        return Prometheus(self.prometheus.url)

    @property
    def faults(self) -> SimulatorClient:
        return SimulatorClient(self.simulator.url)
