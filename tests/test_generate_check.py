"""generate writes deterministic bytes atomically; check catches stale, missing, extra and hand-edited files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, tree

from monitoring.errors import DefinitionError
from monitoring.pipeline import writer


def test_two_runs_give_identical_bytes(cli, tmp_path):
    assert cli(["generate", "--out", tmp_path / "one"]).exit_code == 0
    assert cli(["generate", "--out", tmp_path / "two"]).exit_code == 0
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two and len(one) >= 4


def test_string_hashing_does_not_reach_the_bytes(tmp_path):
    """Each process hashes strings with its own seed, so a set's order differs from run to run (one run of CI,
    one of a laptop): two processes with different seeds write the same tree."""
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-m", "monitoring.cli.main", "generate", "--out", tmp_path / seed],
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        assert run.returncode == 0, run.stderr
    assert tree(tmp_path / "1") == tree(tmp_path / "2")


def test_committed_generated_folder_is_up_to_date(cli):
    """A failure here means generated/ is stale: run `make generate` and commit the diff."""
    result = cli(["check", "--out", ROOT / "generated"])
    assert result.exit_code == 0, result.output


def test_check_reports_stale_missing_unexpected_and_hand_edit(cli, tmp_path):
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    assert cli(["check", "--out", out]).exit_code == 0
    dashboard = out / "grafana/dashboards/ab-test-model-comparison.json"
    dashboard.write_text(dashboard.read_text().replace('"Traffic Distribution"', '"Traffic (edited)"'))
    (out / "README.md").unlink()
    (out / "extra.yml").write_text("x: 1\n")
    result = cli(["check", "--out", out])
    assert result.exit_code == 1
    assert f"stale: {out}/grafana/dashboards/{dashboard.name}" in result.output
    assert f"missing: {out}/README.md" in result.output
    assert f"unexpected: {out}/extra.yml" in result.output
    assert '-      "title": "Traffic (edited)",' in result.output
    assert '+      "title": "Traffic Distribution",' in result.output


def test_check_writes_nothing(cli, tmp_path):
    out = tmp_path / "gen"
    assert cli(["check", "--out", out]).exit_code == 1
    assert not out.exists()


def test_generate_replaces_stale_files(cli, tmp_path):
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    (out / "grafana/dashboards/old.json").write_text("{}")  # e.g. from a stack since removed
    assert cli(["generate", "--out", out]).exit_code == 0
    assert not (out / "grafana/dashboards/old.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gen.")], "temporary folders left behind"


def test_writer_failure_half_way_leaves_output_untouched(tmp_path, monkeypatch):
    out = tmp_path / "gen"
    writer.write_tree(out, {"README.md": writer.MARKER + b"old", "a.json": b"old a", "b/c.yml": b"old c"})
    before = tree(out)
    calls = {"n": 0}
    real_write = Path.write_bytes

    def failing_write(self, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    with pytest.raises(DefinitionError, match="cannot write the output: disk full"):
        writer.write_tree(out, {"README.md": writer.MARKER, "a.json": b"new a", "b/c.yml": b"new c", "d.json": b""})
    assert calls["n"] == 2
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen"]


@pytest.mark.parametrize("name", ["../escape.json", "/etc/passwd", "a/../../b", "a\\..\\b"])
def test_output_names_cannot_escape(tmp_path, name):
    with pytest.raises(Exception, match="escape"):
        writer.write_tree(tmp_path / "gen", {name: b"x"})
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "gen").exists()


def test_every_generated_file_is_of_a_kind_the_writer_accepts_in_out(cli, tmp_path):
    """The writer refuses an OUT holding other kinds of file: what generate writes must be among its kinds."""
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    files = tree(out)
    assert files["README.md"].startswith(writer.MARKER)
    assert [name for name in files if not name.endswith(writer.OUTPUT_SUFFIXES)] == []
    assert cli(["generate", "--out", out]).exit_code == 0, "a second run over the first one's tree"
