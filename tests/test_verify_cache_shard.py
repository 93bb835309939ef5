"""`monitoring test` remembers passes (keyed by rule file, test file and tool build) and splits into shards."""

import re
import shutil

import pytest
from conftest import MINIMAL_STACK

from monitoring.verify.shard import Shard, parse_shard
from monitoring.verify.tools import find_tool

POLICY = """\
receivers:
  - name: slack-alerts
    webhook_configs:
      - url: http://127.0.0.1:9/hook
  - name: unrouted
    webhook_configs:
      - url: http://127.0.0.1:9/hook
route:
  receiver: unrouted
  group_by: [alertname]
  routes:
    - name: warnings
      description: every warning goes to Slack
      matchers: ['severity="warning"']
      receiver: slack-alerts
intents:
  - name: warnings-to-slack
    matchers: ['severity="warning"']
    receivers: [slack-alerts]
"""


@pytest.fixture
def cli(cli, tmp_path, monkeypatch):
    """Run from a folder of our own: the checkout's policies/deploy.yaml names the A/B stack's groups."""
    for tool in ("promtool", "amtool"):
        monkeypatch.setenv(tool.upper(), find_tool(tool))  # found from the checkout, used from anywhere
    work = tmp_path / "work"
    work.mkdir()
    return lambda args: cli(args, cwd=work)


@pytest.fixture
def estate(definitions, cli, tmp_path):
    """Three services generated into one output folder: (definitions folder, output folder)."""
    folder = None
    for name in ("alpha", "beta", "gamma"):
        text = MINIMAL_STACK.replace('Stack("svc"', f'Stack("{name}"').replace('"Svc Overview"', f'"{name} overview"')
        folder, _ = definitions(text.replace("svc_", f"{name}_"), name=f"{name}.py")
    out, policies = tmp_path / "out", tmp_path / "policies"
    policies.mkdir()
    (policies / "notifications.yaml").write_text(POLICY)
    result = cli(["generate", "-d", folder, "-o", out, "--policies", policies])
    assert result.exit_code == 0, result.output
    return folder, out


def test_second_run_comes_from_the_cache_and_a_changed_file_runs_again(estate, cli, tmp_path):
    folder, out = estate
    cache = tmp_path / "cache"
    first = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache])
    assert first.exit_code == 0, first.output
    assert "3 files: 3 run by promtool, 0 passed before (cache)" in first.output
    assert len(list((cache / "promtool").iterdir())) == 3
    second = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache])
    assert second.exit_code == 0, second.output
    assert "3 files: 0 run by promtool, 3 passed before (cache)" in second.output
    assert "6/6 rules covered" in second.output  # the table is complete from the cache
    assert "answered before (cache)" in second.output and "0 asked of amtool" in second.output

    # Break one test file: its bytes changed, so promtool runs on it (and fails); the others stay cached.
    test_file = out / "prometheus/tests/beta.test.yml"
    text = test_file.read_text()
    value = re.search(r"\n( +)value: ([0-9.e+-]+)\n", text)
    test_file.write_text(text[: value.start(2)] + repr(float(value.group(2)) + 1) + text[value.end(2) :])
    broken = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache])
    assert broken.exit_code == 1, broken.output
    assert "3 files: 1 run by promtool, 2 passed before (cache)" in broken.output
    assert "promtool test rules" in broken.output and "beta.test.yml" in broken.output
    again = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache])
    assert again.exit_code == 1, "a failure is never remembered as a pass"


def test_no_cache_runs_everything_and_writes_nothing(estate, cli, tmp_path):
    folder, out = estate
    cache = tmp_path / "cache"
    assert cli(["test", "-d", folder, "-o", out, "--cache-dir", cache]).exit_code == 0
    result = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "3 files: 3 run by promtool, 0 passed before (cache)" in result.output
    assert "0 answered before (cache)" in result.output
    shutil.rmtree(cache)
    assert cli(["test", "-d", folder, "-o", out, "--cache-dir", cache, "--no-cache"]).exit_code == 0
    assert not cache.exists()


def test_a_different_tool_build_is_a_different_key(estate, cli, tmp_path, monkeypatch):
    folder, out = estate
    cache = tmp_path / "cache"
    assert cli(["test", "-d", folder, "-o", out, "--cache-dir", cache]).exit_code == 0
    from monitoring.verify import cache as cache_module

    real = cache_module.tool_version.__wrapped__
    monkeypatch.setattr(cache_module, "tool_version", lambda tool: real(tool) + b" (rebuilt)")
    monkeypatch.setattr("monitoring.verify.rule_tests.tool_version", cache_module.tool_version)
    result = cli(["test", "-d", folder, "-o", out, "--cache-dir", cache])
    assert result.exit_code == 0, result.output
    assert "3 files: 3 run by promtool, 0 passed before (cache)" in result.output


def test_shards_split_the_files_deterministically_and_cover_them_all(estate, cli):
    folder, out = estate
    seen = []
    for index in (1, 2):
        result = cli(["test", "-d", folder, "-o", out, "--shard", f"{index}/2", "--no-cache"])
        assert result.exit_code == 0, result.output
        seen.append({name for name in ("alpha", "beta", "gamma") if f"model_name:{name}_requests" in result.output})
        assert ("Alertmanager routing" in result.output) and (
            ("alert instances reach" in result.output) == (index == 1)
        )
    assert seen == [{"alpha", "gamma"}, {"beta"}]
    assert Shard(2, 4).take(list("dcba"), str) == ["b"] == Shard(2, 4).take(list("abcd"), str)


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0"])
def test_a_bad_shard_is_a_usage_error(estate, cli, text):
    folder, out = estate
    result = cli(["test", "-d", folder, "-o", out, "--shard", text])
    assert result.exit_code == 2 and "--shard" in result.output
    with pytest.raises(ValueError):
        parse_shard(text)


def test_one_promtool_runs_a_batch_of_files_and_a_failure_is_told_for_its_own_file(estate, cli, monkeypatch):
    from monitoring.verify import rule_tests

    assert [len(b) for b in rule_tests._batches(list(range(100)), 2)] == [13] * 7 + [9]  # 4 a worker at least
    assert [len(b) for b in rule_tests._batches(list(range(3)), 2)] == [1, 1, 1]
    assert {len(b) for b in rule_tests._batches(list(range(1000)), 2)} == {rule_tests.BATCH, 1000 % rule_tests.BATCH}
    monkeypatch.setattr(rule_tests, "_batches", lambda items, workers: [items])  # all three in one promtool
    folder, out = estate
    assert cli(["test", "-d", folder, "-o", out, "--no-cache"]).exit_code == 0
    test_file = out / "prometheus/tests/beta.test.yml"
    text = test_file.read_text()
    value = re.search(r"\n( +)value: ([0-9.e+-]+)\n", text)
    test_file.write_text(text[: value.start(2)] + repr(float(value.group(2)) + 1) + text[value.end(2) :])
    broken = cli(["test", "-d", folder, "-o", out, "--no-cache"])
    assert broken.exit_code == 1, broken.output
    failing = [line.split()[0] for line in broken.output.splitlines() if line.rstrip().endswith(" FAIL")]
    assert failing and all("beta" in name for name in failing)  # alpha's and gamma's rules pass
    assert "promtool test rules" in broken.output and "beta.test.yml" in broken.output
    assert "alpha.test.yml" not in broken.output and "gamma.test.yml" not in broken.output
