"""The benchmark fails, naming the files, when promtool fails on what it generated (issue 18: CI must see it)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from conftest import ROOT
from test_properties import POLICY

from monitoring.render.estate import load


def _bench_module(name: str):
    before = os.environ.get("MONITORING_WORKERS")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))
        if before is None:
            os.environ.pop("MONITORING_WORKERS", None)  # stages.py pins one worker for its own process
        else:
            os.environ["MONITORING_WORKERS"] = before


def test_bench_names_the_test_file_promtool_fails_on(definitions, cli, tmp_path, monkeypatch):
    folder, _ = definitions()
    out = tmp_path / "gen"
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "notifications.yaml").write_text(POLICY)
    generate = ["generate", "--definitions", folder, "--out", out, "--policies", policies]
    assert cli(generate, cwd=tmp_path).exit_code == 0
    monkeypatch.chdir(ROOT)  # promtool and amtool are found from the project folder
    stacks = load(folder)
    stages, run = _bench_module("stages"), _bench_module("run")

    assert run.verification_failures([{"services": 1, "stages": {"verify": stages.verify(stacks, out)}}]) == []

    test_file = next(Path(out, "prometheus", "tests").glob("*.yml"))
    text = test_file.read_text()
    assert "severity: warning" in text
    test_file.write_text(text.replace("severity: warning", "severity: page", 1))  # an expectation promtool refutes
    failures = run.verification_failures([{"services": 1, "stages": {"verify": stages.verify(stacks, out)}}])
    assert failures, "a promtool failure must fail the benchmark"
    assert all(line.startswith("FAILED N=1 promtool: ") for line in failures)
    assert any(f"prometheus/tests/{test_file.name}" in line for line in failures)
