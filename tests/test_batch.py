"""Large estates render over forked workers: same bytes as in-process, same errors, collector restored."""

import gc
import os
import time

import pytest
from conftest import MINIMAL_STACK

from monitoring.errors import DefinitionError, DefinitionErrors
from monitoring.pipeline.workers import WORKERS_ENV, InOrder, collecting_rarely, map_in_order, worker_count
from monitoring.render import estate as pipeline
from monitoring.render.estate import load, render_all

POLICY = """\
receivers:
  - {name: unrouted, slack_configs: [{channel: "#unrouted", api_url_file: /etc/am/slack-url}]}
  - {name: team, slack_configs: [{channel: "#alerts", api_url_file: /etc/am/slack-url}]}
route:
  receiver: unrouted
  routes: [{name: warnings, matchers: ['severity="warning"'], receiver: team}]
intents: [{name: warnings, matchers: ['severity="warning"'], receivers: [team]}]
"""
linux_only = pytest.mark.skipif(not os.uname().sysname == "Linux", reason="workers are forked on Linux only")


def estate(folder, services=20):
    folder.mkdir()
    for i in range(services):
        text = MINIMAL_STACK.replace('Stack("svc"', f'Stack("svc{i}"').replace("Svc Overview", f"Svc {i} Overview")
        (folder / f"svc{i}.py").write_text(text)
    return folder


@linux_only
def test_workers_render_the_same_bytes(tmp_path, monkeypatch):
    stacks = load(estate(tmp_path / "definitions"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "notifications.yaml").write_text(POLICY)
    monkeypatch.setenv(WORKERS_ENV, "1")
    alone = render_all(stacks, policies_dir=tmp_path / "policies")
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert worker_count(len(stacks)) == 3
    together = render_all(stacks, policies_dir=tmp_path / "policies")
    assert together == alone and list(together) == list(alone)  # same files, same order
    assert len([name for name in together if name.endswith(".test.yml")]) == 20


@linux_only
def test_secrets_found_by_workers_are_reported_as_one_scan_reports_them(cli, tmp_path, monkeypatch):
    definitions = estate(tmp_path / "definitions")
    for leaky in ("svc3.py", "svc15.py"):  # a credential in a runbook URL ends up in rules and dashboards
        path = definitions / leaky
        path.write_text(path.read_text().replace("https://runbooks", "https://bot:s3cretpw@runbooks"))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "notifications.yaml").write_text(POLICY)
    outputs = []
    for workers in ("1", "3"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        result = cli(["generate", "-d", definitions, "-o", tmp_path / "out", "--policies", tmp_path / "policies"])
        assert result.exit_code == 2 and not (tmp_path / "out").exists()
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    assert "svc3.rules.yml" in outputs[0] and "svc15.rules.yml" in outputs[0] and "s3cretpw" not in outputs[0]


def _pid(item):
    time.sleep(0.01)  # long enough that no worker takes every chunk before the other starts
    return item, os.getpid()


@linux_only
def test_work_is_shared_between_processes(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "2")
    results = map_in_order(_pid, list(range(40)))
    assert [item for item, _ in results] == list(range(40))
    assert len({pid for _, pid in results} - {os.getpid()}) == 2


def _fail_on_odd(item):
    if item % 2:
        raise (
            DefinitionErrors(
                [
                    DefinitionError(f"item {item} is odd", f"f.py:{item}", "make it even"),
                    DefinitionError("second", "g.py:1"),
                ]
            )
            if item == 7
            else DefinitionError(f"item {item} is odd", f"f.py:{item}", "make it even")
        )
    return item


@linux_only
@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_error_is_raised_in_input_order(monkeypatch, workers):
    """All the items' errors together (a DefinitionErrors' parts in place), forked or not: one run shows them all."""
    monkeypatch.setenv(WORKERS_ENV, workers)
    with pytest.raises(DefinitionError) as raised:
        map_in_order(_fail_on_odd, list(range(6, 40)))
    expected = ["f.py:7: item 7 is odd", "g.py:1: second"] + [f"f.py:{n}: item {n} is odd" for n in range(9, 40, 2)]
    assert [line for line in raised.value.format().splitlines() if "hint" not in line] == expected
    with pytest.raises(DefinitionError) as raised:
        map_in_order(_fail_on_odd, [2, 4, 11, 12])
    assert raised.value.format() == "f.py:11: item 11 is odd\n  hint: make it even"  # one error: not a list


def _policy_fails(stacks, policies_dir):
    raise DefinitionError("the policy is wrong", "p.yaml:3")


def _render_fails_on_svc11(stack):
    if stack.name == "svc11":
        raise DefinitionError(f"stack {stack.name} cannot render", "svc11.py:1")
    return {f"{stack.name}.txt": b"x"}, []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_alerting_renders_beside_the_workers_and_its_error_comes_first(tmp_path, monkeypatch, workers):
    if workers == "2" and os.uname().sysname != "Linux":
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setenv(WORKERS_ENV, workers)
    stacks = load(estate(tmp_path / "definitions"))
    rendered_by = []
    monkeypatch.setattr(pipeline, "render_alerting", lambda stacks, _: rendered_by.append(os.getpid()) or {})
    render_all(stacks)
    assert rendered_by == [os.getpid()]  # the Alertmanager files render in this process
    monkeypatch.setattr(pipeline, "_render_and_scan", _render_fails_on_svc11)
    with pytest.raises(DefinitionError, match="svc11.py:1: stack svc11 cannot render"):
        render_all(stacks)
    monkeypatch.setattr(pipeline, "render_alerting", _policy_fails)  # the policy's error first, whatever the workers
    with pytest.raises(DefinitionError, match="p.yaml:3: the policy is wrong"):
        render_all(stacks)


def _parent_pid(_item):
    return os.getppid()


@linux_only
def test_workers_die_with_their_parent(tmp_path):
    """A killed `generate` leaves no worker behind: each asks Linux for SIGKILL when its parent dies."""
    import signal
    import subprocess
    import sys

    script = (
        "import os, sys, time\n"
        "os.environ['MONITORING_WORKERS'] = '2'\n"
        "from monitoring.pipeline.workers import InOrder\n"
        "def slow(item):\n"
        "    os.write(1, b'%d\\n' % os.getpid()); time.sleep(60)\n"  # one write: two workers' lines never interleave
        "with InOrder(slow, list(range(32))) as m:\n"
        "    m.results()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers = {int(parent.stdout.readline()) for _ in range(2)}
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 30  # generous: CI machines can be loaded
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_small_estates_stay_in_process(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert worker_count(3) == 1
    assert map_in_order(_pid, [1, 2]) == [(1, os.getpid()), (2, os.getpid())]


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_worker_setting_is_a_clean_error(cli, definitions, tmp_path, monkeypatch, value):
    folder, _ = definitions()
    monkeypatch.setenv(WORKERS_ENV, value)
    result = cli(["generate", "-d", folder, "-o", tmp_path / "out"])
    assert result.exit_code == 2 and f"${WORKERS_ENV} is '{value}'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_the_collector_is_restored_and_the_model_frozen_only_inside_a_command():
    before = gc.get_threshold()
    from monitoring.pipeline.workers import freeze

    freeze()  # outside a command: nothing stays frozen
    assert gc.get_freeze_count() == 0
    with collecting_rarely():
        frozen = gc.get_freeze_count()
        assert gc.get_threshold()[0] == 100_000 and frozen > 0
        kept = [[] for _ in range(10)]  # lists are tracked by the collector
        freeze()
        assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_an_error_in_the_block_comes_before_the_items_errors(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "1")
    with pytest.raises(DefinitionError, match="the block"):
        with InOrder(_fail_on_odd, [1, 3]) as mapped:
            raise DefinitionError("the block")
    with pytest.raises(DefinitionError, match="item 1 is odd"):
        with InOrder(_fail_on_odd, [1, 3]) as mapped:
            mapped.results()


@linux_only
def test_generate_validates_while_workers_render_with_the_same_errors(cli, tmp_path, monkeypatch):
    definitions = estate(tmp_path / "definitions")
    broken = definitions / "svc12.py"  # an alert over a metric the catalog lacks: validation's error
    broken.write_text(
        broken.read_text().replace('above(f"max by (model_name) ({LOAD})"', 'above("max by (model_name) (svc_lod)"')
    )
    outputs = []
    for workers in ("1", "3"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        result = cli(["generate", "-d", definitions, "-o", tmp_path / "out"])
        assert result.exit_code == 2 and not (tmp_path / "out").exists()
        outputs.append(result.output)
    assert outputs[0] == outputs[1] and "selects 'svc_lod'" in outputs[0] and "svc12.py:" in outputs[0]
