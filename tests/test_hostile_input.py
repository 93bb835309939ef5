"""Hostile but realistic input, one table row each: definitions, policies, the output folder, lint files, `check`.

Every row runs one command in a fresh copy of a small project (definitions, a policy, a generated tree)
and asserts: the exit code and a message fragment; no traceback (nor an exception escaping the CLI);
``file:line`` where a file is at fault; that nothing in the project changed unless the command is meant
to write (then no leftovers beside OUT, and OUT is a whole generated tree); and that no secret value
planted by the row appears in the output.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINIMAL_STACK, SLACK_ONLY_POLICY

from monitoring.cli.main import main

# Credential-shaped values, assembled so the source itself holds none in one piece.
SLACK_TOKEN = "xoxb-" + "1234567890-abcdefghijkl"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
JWT = "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlc2ln"
SIGNED = "https://storage.example.com/hook?expires=1&sig=" + "Zm9vYmFyYmF6cXV4"
ENTROPIC = "q8Zr" + "T2vLx9Wm4Kp7Ys3N"

POLICY = SLACK_ONLY_POLICY
GENERATE = ["generate", "-d", "defs", "--policies", "policies", "-o", "generated"]
CHECK = ["check", "-d", "defs", "--policies", "policies", "-o", "generated"]
LINT = ["lint", "rules.yml"]


@dataclass
class Row:
    name: str
    setup: Callable[[Path], None]
    args: list[str]
    exit: int
    message: str
    where: str = ""  # a regex for the file:line the message must name
    secret: str = ""  # must not appear in the output

    @property
    def writes(self) -> bool:
        return self.exit == 0 and self.args[0] == "generate"


def in_defs(old: str, new: str) -> Callable[[Path], None]:
    assert old in MINIMAL_STACK, old

    def setup(root: Path) -> None:
        (root / "defs/svc.py").write_text(MINIMAL_STACK.replace(old, new, 1))

    return setup


def in_policy(old: str, new: str) -> Callable[[Path], None]:
    assert old in POLICY, old

    def setup(root: Path) -> None:
        (root / "policies/notifications.yaml").write_text(POLICY.replace(old, new, 1))

    return setup


def write(path: str, data: str | bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())

    return setup


def edit(path: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        target = next(root.glob(path))
        target.write_text(change(target.read_text()))

    return setup


def fifo(path: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / path)

    return setup


def symlink(path: str, target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        link = root / path
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        elif link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target)

    return setup


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)

    return setup


def nothing(_root: Path) -> None:
    pass


def laughs(levels: int = 9) -> str:
    """The "billion laughs": 1 KB of YAML, 10**levels strings once aliases are expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def rule_file(expr: str = "sum(rate(x_total[5m]))", description: str = "ok") -> str:
    return textwrap.dedent(f"""\
        groups:
          - name: g
            rules:
              - alert: Broken
                expr: {expr}
                labels: {{severity: warning}}
                annotations: {{summary: s, description: "{description}", runbook_url: "https://r/x"}}
        """)


DEEP = "(" * 10_000 + "x" + ")" * 10_000
SUM = " + ".join(["x"] * 6_000)
DEFS_LINE = r"defs/svc\.py:\d+"
POLICY_LINE = r"notifications\.yaml:\d+"
STEP = 'Step(0.8, "red", "overloaded")'
ALERT_PANEL = "panel=LOAD_PANEL),"

ROWS = [
    # --- definitions ------------------------------------------------------------------------------
    Row(
        "step value as a string",
        in_defs(STEP, 'Step("0.8", "red", "overloaded")'),
        GENERATE,
        2,
        "a threshold step's value must be a number",
        DEFS_LINE,
    ),
    Row(
        "step value NaN",
        in_defs(STEP, 'Step(float("nan"), "red", "overloaded")'),
        GENERATE,
        2,
        "a threshold step's value must be a number",
        DEFS_LINE,
    ),
    Row(
        "step value a bool",
        in_defs(STEP, 'Step(True, "red", "overloaded")'),
        GENERATE,
        2,
        "must be a number",
        DEFS_LINE,
    ),
    Row(
        "runbook_base_url a number",
        in_defs('runbook_base_url="https://runbooks.example.com/svc"', "runbook_base_url=5"),
        GENERATE,
        2,
        "runbook_base_url must be a string",
        DEFS_LINE,
    ),
    Row(
        "label values a bare string",
        in_defs('Label("model_name", ("a", "b"))', 'Label("model_name", ("baseline"))'),
        GENERATE,
        2,
        "must be a tuple, not the string 'baseline'",
        DEFS_LINE,
    ),
    Row(
        "label values not strings",
        in_defs('Label("model_name", ("a", "b"))', 'Label("model_name", ("a", 5))'),
        GENERATE,
        2,
        "must hold str values",
        DEFS_LINE,
    ),
    Row(
        "metrics a bare string",
        in_defs("metrics=(REQUESTS, LATENCY, LOAD)", 'metrics="REQUESTS"'),
        GENERATE,
        2,
        "must be a tuple",
        DEFS_LINE,
    ),
    Row(
        "bucket bound a string",
        in_defs("buckets=(0.1, 0.2, 0.5)", 'buckets=("0.1", 0.2, 0.5)'),
        GENERATE,
        2,
        "a bucket bound must be a number",
        DEFS_LINE,
    ),
    Row(
        "for beyond Prometheus' range",
        in_defs('"5m",\n', '"99999999999999999999y",\n'),
        GENERATE,
        2,
        "out of range",
        DEFS_LINE,
    ),
    Row(
        "for with units out of order",
        in_defs('"5m",\n', '"5m1h",\n'),
        GENERATE,
        2,
        "is not a Prometheus duration",
        DEFS_LINE,
    ),
    Row(
        "for with a trailing newline",
        in_defs('"5m",\n', '"5m\\n",\n'),
        GENERATE,
        2,
        "is not a Prometheus duration",
        DEFS_LINE,
    ),
    Row(
        "rule group interval 0s",
        in_defs('RuleGroup("svc.rules", "30s"', 'RuleGroup("svc.rules", "0s"'),
        GENERATE,
        2,
        "must be above zero",
        DEFS_LINE,
    ),
    Row(
        "scrape interval 0s",
        in_defs("team=", 'scrape_interval="0s", team='),
        GENERATE,
        2,
        "scrape_interval must be above zero",
        DEFS_LINE,
    ),
    Row(
        "stack name of 300 characters",
        in_defs('Stack("svc"', 'Stack("' + "s" * 300 + '"'),
        GENERATE,
        2,
        "characters long",
        DEFS_LINE,
    ),
    Row(
        "stack name with a trailing newline",
        in_defs('Stack("svc"', 'Stack("svc\\n"'),
        GENERATE,
        2,
        "stack name 'svc\\n' is invalid",
        DEFS_LINE,
    ),
    Row(
        "dashboard uid with a trailing newline",
        in_defs('Dashboard("Svc Overview",', 'Dashboard("Svc Overview", uid="abc\\n",'),
        GENERATE,
        2,
        "uid",
        DEFS_LINE,
    ),
    Row(
        "alert name with a trailing newline",
        in_defs('"SvcOverloaded"', '"SvcOverloaded\\n"'),
        GENERATE,
        2,
        "is not UpperCamelCase",
        DEFS_LINE,
    ),
    Row(
        "metric name with a trailing newline",
        in_defs('"svc_load"', '"svc_load\\n"'),
        GENERATE,
        2,
        "svc_load",
        DEFS_LINE,
    ),
    Row(
        "sys.exit(0) in a definitions file",
        in_defs("STACK = Stack(", "import sys\nsys.exit(0)\nSTACK = Stack("),
        GENERATE,
        2,
        "called sys.exit(0)",
        DEFS_LINE,
    ),
    Row(
        "sys.exit(0) in a definitions file, lint",
        in_defs("STACK = Stack(", "import sys\nsys.exit(0)\nSTACK = Stack("),
        ["lint", "-d", "defs"],
        2,
        "called sys.exit(0)",
        DEFS_LINE,
    ),
    Row(
        "sys.exit(0) in a definitions file, check",
        in_defs("STACK = Stack(", "import sys\nsys.exit(0)\nSTACK = Stack("),
        CHECK,
        2,
        "called sys.exit(0)",
        DEFS_LINE,
    ),
    Row(
        "a driver that raises",
        in_defs(ALERT_PANEL, "panel=LOAD_PANEL, driver=lambda value: 1 / 0),"),
        GENERATE,
        2,
        "its driver raised ZeroDivisionError",
        DEFS_LINE,
    ),
    Row(
        "a driver that exits",
        in_defs(ALERT_PANEL, "panel=LOAD_PANEL, driver=lambda value: exit(0)),"),
        GENERATE,
        2,
        "its driver raised SystemExit",
        DEFS_LINE,
    ),
    Row(
        "a driver returning a list",
        in_defs(ALERT_PANEL, "panel=LOAD_PANEL, driver=lambda value: []),"),
        GENERATE,
        2,
        "its driver returned list",
        DEFS_LINE,
    ),
    Row(
        "10,000 nested parentheses",
        in_defs("rate({REQUESTS}[5m])", "rate({REQUESTS}[5m])" + " + " + DEEP),
        GENERATE,
        2,
        "expression too deep",
        DEFS_LINE,
    ),
    Row(
        "a 6,000-term sum",
        in_defs("rate({REQUESTS}[5m])", "rate({REQUESTS}[5m]) + " + SUM),
        GENERATE,
        2,
        "expression too long",
        DEFS_LINE,
    ),
    Row("a Python error", in_defs("STACK = Stack(", "{}['x']\nSTACK = Stack("), GENERATE, 2, "KeyError", DEFS_LINE),
    Row("a syntax error", in_defs("STACK = Stack(", "STACK = Stack((("), GENERATE, 2, "syntax error", DEFS_LINE),
    Row(
        "a Slack token in a description",
        in_defs("Load is {{ $value }}.", f"Load is {{{{ $value }}}}. {SLACK_TOKEN}"),
        GENERATE,
        2,
        "holds a Slack token",
        r"svc\.rules\.yml:\d+",
        SLACK_TOKEN,
    ),
    Row(
        "a password in the runbook URL",
        in_defs("https://runbooks.example.com/svc", "https://bot:hunter2pw@r.example.com"),
        GENERATE,
        2,
        "a URL with a password in it",
        r"svc\.rules\.yml:\d+",
        "hunter2pw",
    ),
    Row(
        "an AWS key in a summary",
        in_defs('summary="Svc is overloaded."', f'summary="key {AWS_KEY}"'),
        GENERATE,
        2,
        "an AWS access key id",
        r"svc\.rules\.yml:\d+",
        AWS_KEY,
    ),
    Row(
        "a GitHub token in a summary",
        in_defs('summary="Svc is overloaded."', f'summary="{GITHUB}"'),
        GENERATE,
        2,
        "a GitHub token",
        r"svc\.rules\.yml:\d+",
        GITHUB,
    ),
    Row(
        "a JWT in a description",
        in_defs("Load is {{ $value }}.", f"Load is high. {JWT}"),
        GENERATE,
        2,
        "a JSON Web Token",
        r"svc\.rules\.yml:\d+",
        JWT,
    ),
    Row("a label value with a double quote", in_defs('("a", "b")', '("a", "b\\"c")'), GENERATE, 0, "wrote"),
    Row("a label value with a backslash", in_defs('("a", "b")', '("a", "b\\\\c")'), GENERATE, 0, "wrote"),
    # --- policies -----------------------------------------------------------------------------------
    Row(
        "billion laughs in the policy",
        write("policies/notifications.yaml", POLICY + laughs()),
        GENERATE,
        2,
        "once aliases are expanded",
        POLICY_LINE,
    ),
    Row(
        "a policy nested 990 deep",
        write("policies/notifications.yaml", POLICY + "deep: " + "[" * 990 + "]" * 990),
        GENERATE,
        2,
        "nested more than 64 levels deep",
        POLICY_LINE,
    ),
    Row(
        "a YAML merge key",
        in_policy("  receiver: unrouted\n", "  receiver: unrouted\n  <<: {group_wait: 1m}\n"),
        GENERATE,
        2,
        "merge keys (<<) are not supported",
        POLICY_LINE,
    ),
    Row(
        "a duplicate key",
        in_policy("  receiver: unrouted\n", "  receiver: unrouted\n  receiver: team-slack\n"),
        GENERATE,
        2,
        "duplicate key",
        POLICY_LINE,
    ),
    Row(
        "a Slack token as a mapping key",
        in_policy("route:\n", f"x-note:\n  {SLACK_TOKEN}: 1\nroute:\n"),
        GENERATE,
        2,
        "holds a Slack token",
        POLICY_LINE,
        SLACK_TOKEN,
    ),
    Row(
        "a webhook URL in a comment",
        in_policy("route:\n", f"# old: {SLACK_HOOK}\nroute:\n"),
        GENERATE,
        2,
        "Slack webhook URL",
        POLICY_LINE,
        "cccccccccccc",
    ),
    Row(
        "a secret in a policy sub-folder",
        write("policies/team/extra.yaml", f"token: {ENTROPIC}\n"),
        GENERATE,
        2,
        "literal credential in 'token'",
        r"team/extra\.yaml:1",
        ENTROPIC,
    ),
    Row(
        "a signed URL in a policy",
        in_policy("route:\n", f"x-link: {SIGNED}\nroute:\n"),
        GENERATE,
        2,
        "a signed URL",
        POLICY_LINE,
        "Zm9vYmFyYmF6",
    ),
    Row(
        "a lower-case bearer token",
        in_policy("route:\n", "x-header: 'authorization: bearer abcd1234efgh5678'\nroute:\n"),
        GENERATE,
        2,
        "a bearer token",
        POLICY_LINE,
        "abcd1234efgh5678",
    ),
    Row(
        "a high-entropy value under a credential-like key",
        in_policy("route:\n", f"x-settings:\n  client_token_value: {ENTROPIC}\nroute:\n"),
        GENERATE,
        2,
        "random-looking value",
        POLICY_LINE,
        ENTROPIC,
    ),
    Row(
        "group_wait beyond Alertmanager's range",
        in_policy("  group_by: [alertname]\n", "  group_by: [alertname]\n  group_wait: 99999999999999999999y\n"),
        GENERATE,
        2,
        "out of range",
        POLICY_LINE,
    ),
    Row(
        "a python tag in the policy",
        in_policy("[alertname]", "!!python/name:os.system"),
        GENERATE,
        2,
        "unsupported tag",
        POLICY_LINE,
    ),
    Row(
        "a binary policy",
        write("policies/notifications.yaml", b"\x00\x01\x02receivers: []\n"),
        GENERATE,
        2,
        "binary file",
        r"notifications\.yaml",
    ),
    Row(
        "a policy that is not UTF-8",
        write("policies/notifications.yaml", POLICY.encode() + b"# \xff\xfe\n"),
        GENERATE,
        2,
        "not UTF-8",
        r"notifications\.yaml",
    ),
    Row(
        "a FIFO as the policy",
        both(lambda root: (root / "policies/notifications.yaml").unlink(), fifo("policies/notifications.yaml")),
        GENERATE,
        2,
        "not a regular file",
        r"notifications\.yaml",
    ),
    Row(
        "a schema error never echoes a credential",
        in_policy("  group_by: [alertname]\n", f"  group_by: [alertname]\n  group_interval: '{SIGNED}'\n"),
        GENERATE,
        2,
        "group_interval",
        POLICY_LINE,
        "Zm9vYm",
    ),
    # --- the output folder ----------------------------------------------------------------------------
    Row(
        "-o the definitions folder",
        nothing,
        ["generate", "-d", "defs", "--policies", "policies", "-o", "defs"],
        2,
        "an input folder",
    ),
    Row(
        "-o the policies folder",
        nothing,
        ["generate", "-d", "defs", "--policies", "policies", "-o", "policies"],
        2,
        "an input folder",
    ),
    Row(
        "-o the current directory",
        nothing,
        ["generate", "-d", "defs", "--policies", "policies", "-o", "."],
        2,
        "the current directory",
    ),
    Row(
        "-o a folder holding the definitions",
        both(write("project/x.txt", "x"), lambda root: shutil.move(root / "defs", root / "project/defs")),
        ["generate", "-d", "project/defs", "--policies", "policies", "-o", "project"],
        2,
        "an input folder",
    ),
    Row(
        "-o a folder of other files",
        write("mine/notes.py", "print('keep me')\n"),
        ["generate", "-d", "defs", "--policies", "policies", "-o", "mine"],
        2,
        "not a generated tree",
    ),
    Row(
        "-o a generated tree holding a .py file",
        write("generated/tool.py", "x = 1\n"),
        GENERATE,
        2,
        "holds tool.py, a file `generate` never writes",
    ),
    Row(
        "-o a repository root",
        write("repo/.git/HEAD", "ref: refs/heads/main\n"),
        ["generate", "-d", "defs", "--policies", "policies", "-o", "repo"],
        2,
        "a repository root",
    ),
    Row(
        "-o a dangling symlink",
        symlink("gone", "nowhere"),
        ["generate", "-d", "defs", "--policies", "policies", "-o", "gone"],
        2,
        "dangling symbolic link",
    ),
    Row(
        "the default generated/ is a symlink",
        both(lambda root: shutil.move(root / "generated", root / "real"), symlink("generated", "real")),
        ["generate", "-d", "defs", "--policies", "policies"],
        2,
        "the output folder is a symbolic link",
    ),
    Row(
        "a symlink inside OUT",
        symlink("generated/README.md", "/etc/passwd"),
        GENERATE,
        2,
        "not a generated tree",
        secret="root:x:0",
    ),
    Row(
        "a name too long for the file system",
        nothing,
        ["generate", "-d", "defs", "--policies", "policies", "-o", "x" * 300],
        2,
        "File name too long",
    ),
    Row(
        "-o an existing file",
        write("afile", "x"),
        ["generate", "-d", "defs", "--policies", "policies", "-o", "afile"],
        2,
        "is a file",
    ),
    Row(
        "leftovers of a killed run are removed",
        both(write(".generated.new-abc/README.md", "half"), write(".generated.old-def/README.md", "old")),
        GENERATE,
        0,
        "wrote",
    ),
    Row(
        "a killed two-step swap is repaired",
        both(lambda root: shutil.move(root / "generated", root / ".generated.old-x")),
        GENERATE,
        0,
        "wrote",
    ),
    # --- lint files ----------------------------------------------------------------------------------
    Row("lint /dev/zero", nothing, ["lint", "/dev/zero"], 1, "not a regular file", r"/dev/zero"),
    Row("lint a FIFO", fifo("rules.yml"), LINT, 1, "not a regular file", r"rules\.yml"),
    Row("lint a binary file", write("rules.yml", b"\x7fELF\x00\x00binary"), LINT, 1, "binary file", r"rules\.yml"),
    Row(
        "lint a file that is not UTF-8",
        write("rules.yml", b"groups: []\n# \xff\n"),
        LINT,
        1,
        "not UTF-8",
        r"rules\.yml",
    ),
    Row("lint billion laughs", write("rules.yml", laughs()), LINT, 1, "once aliases are expanded", r"rules\.yml:\d+"),
    Row(
        "lint YAML nested 990 deep",
        write("rules.yml", "groups: " + "[" * 990 + "]" * 990),
        LINT,
        1,
        "nested more than 64",
        r"rules\.yml:1",
    ),
    Row(
        "lint a merge key",
        write("rules.yml", "base: &b {name: g}\ngroups:\n  - <<: *b\n    rules: []\n"),
        LINT,
        1,
        "merge keys",
        r"rules\.yml:3",
    ),
    Row(
        "lint a duplicate key",
        write("rules.yml", "groups: []\ngroups: []\n"),
        LINT,
        1,
        "duplicate key",
        r"rules\.yml:2",
    ),
    Row(
        "lint a file over 32 MB",
        lambda root: os.truncate(_touch(root / "rules.yml"), 33 * 2**20),
        LINT,
        1,
        "larger than 32 MB",
        r"rules\.yml",
    ),
    Row(
        "lint 10,000 nested parentheses",
        write("rules.yml", rule_file(DEEP)),
        LINT,
        1,
        "expression too deep",
        r"rules\.yml:\d+",
    ),
    Row("lint a 6,000-term sum", write("rules.yml", rule_file(SUM)), LINT, 1, "expression too long", r"rules\.yml:\d+"),
    Row(
        "lint 1 MB of unclosed template actions",
        write("rules.yml", rule_file(description="{{" * 500_000)),
        LINT,
        1,
        "is not closed",
        r"rules\.yml:\d+",
    ),
    Row(
        "lint a python tag",
        write("rules.yml", "groups: !!python/object/apply:os.system [true]\n"),
        LINT,
        1,
        "unsupported tag",
        r"rules\.yml:1",
    ),
    Row(
        "lint policy with a python tag",
        write("lint.yaml", "severities: !!python/name:os.system\nchecks: {}\n"),
        ["lint", "-c", "lint.yaml", "defs/svc.py"],
        2,
        "unsupported tag",
        r"lint\.yaml:1",
    ),
    Row("lint a rule file with warnings only", write("rules.yml", rule_file()), LINT, 0, "warning"),
    # --- check ---------------------------------------------------------------------------------------
    Row(
        "check: README.md is a symlink to /etc/passwd",
        symlink("generated/README.md", "/etc/passwd"),
        CHECK,
        1,
        "a symbolic link (never followed)",
        secret="root:x:0",
    ),
    Row(
        "check: a symlinked folder inside OUT",
        symlink("generated/grafana", "/etc"),
        CHECK,
        1,
        "a symbolic link (never followed)",
        secret="root:x:0",
    ),
    Row(
        "check: a duplicate JSON key hides a token",
        edit(
            "generated/grafana/dashboards/*.json",
            lambda text: text.replace("{", '{"description": "' + SLACK_TOKEN + '", ', 1),
        ),
        CHECK,
        1,
        "duplicate key",
        secret=SLACK_TOKEN,
    ),
    Row(
        "check: a token in a YAML comment",
        edit("generated/prometheus/rules/svc.rules.yml", lambda text: text + f"# {SLACK_TOKEN}\n"),
        CHECK,
        1,
        "holds a Slack token",
        r"svc\.rules\.yml:\d+",
        SLACK_TOKEN,
    ),
    Row(
        "check: a token as a mapping key",
        edit("generated/prometheus/rules/svc.rules.yml", lambda text: text + f"{SLACK_TOKEN}: 1\n"),
        CHECK,
        1,
        "holds a Slack token",
        r"svc\.rules\.yml:\d+",
        SLACK_TOKEN,
    ),
    Row(
        "check: an AWS key in a dashboard",
        edit(
            "generated/grafana/dashboards/*.json", lambda text: text.replace('"title": "', f'"title": "{AWS_KEY} ', 1)
        ),
        CHECK,
        1,
        "an AWS access key id",
        secret=AWS_KEY,
    ),
    Row(
        "check: a GitHub token in the routing tests",
        edit("generated/alertmanager/routing-tests.json", lambda text: text.replace("{", f'{{"note": "{GITHUB}", ', 1)),
        CHECK,
        1,
        "note: holds a GitHub token",
        r"routing-tests\.json",
        GITHUB,
    ),
    Row(
        "check: a high-entropy client_token",
        edit(
            "generated/alertmanager/alertmanager.yml",
            lambda text: text + f"client_token: {ENTROPIC}\n",
        ),
        CHECK,
        1,
        "random-looking value",
        r"alertmanager\.yml:\d+",
        ENTROPIC,
    ),
    Row("check: a FIFO planted in OUT", fifo("generated/grafana/dashboards/pipe.json"), CHECK, 1, "not a regular file"),
    Row(
        "check: billion laughs planted in OUT",
        write("generated/prometheus/rules/evil.rules.yml", laughs()),
        CHECK,
        1,
        "unexpected: generated/prometheus/rules/evil.rules.yml",
    ),
    Row(
        "check: a credential key planted in OUT",
        write("generated/prometheus/rules/evil.rules.yml", laughs() + "password: hunter2pw\n"),
        CHECK,
        1,
        "cannot be checked for secrets",
        secret="hunter2pw",
    ),
    Row(
        "check: -o the current directory",
        nothing,
        ["check", "-d", "defs", "--policies", "policies", "-o", "."],
        2,
        "the current directory",
    ),
    Row(
        "check: the default generated/ is a symlink",
        both(lambda root: shutil.move(root / "generated", root / "real"), symlink("generated", "real")),
        ["check", "-d", "defs", "--policies", "policies"],
        2,
        "symbolic link",
    ),
    Row("check: an up-to-date tree", nothing, CHECK, 0, "is up to date"),
    Row(
        "check: -o a symlink to a tree that is not generated",
        both(write("other/notes.txt", "mine\n"), symlink("link", "other")),
        ["check", "-d", "defs", "--policies", "policies", "-o", "link"],
        2,
        "not a generated tree",
    ),
    Row(
        "check: -o a symlink to a generated tree",
        both(lambda root: shutil.copytree(root / "generated", root / "elsewhere"), symlink("link", "elsewhere")),
        ["check", "-d", "defs", "--policies", "policies", "-o", "link"],
        0,
        "is up to date",
    ),
    # --- the simulator -------------------------------------------------------------------------------
    Row("simulate --rate nan", nothing, ["simulate", "--rate", "nan"], 2, "not a finite number"),
    Row("simulate --rate inf", nothing, ["simulate", "--rate", "inf"], 2, "--rate"),
]


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A small project with its generated tree, copied for each row."""
    root = tmp_path_factory.mktemp("project")
    (root / "defs").mkdir()
    (root / "defs/svc.py").write_text(MINIMAL_STACK)
    (root / "policies").mkdir()
    (root / "policies/notifications.yaml").write_text(POLICY)
    result = _run(root, GENERATE)
    assert result.exit_code == 0, result.output
    return root


def _run(root: Path, args: list[str]):
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def snapshot(root: Path) -> dict[str, object]:
    """Everything below root (links by target, files by hash, never following a link)."""
    state: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            key = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                state[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[key] = stat.S_IFMT(mode)
    return state


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile_input(row: Row, project: Path, tmp_path: Path):
    root = tmp_path / "p"
    shutil.copytree(project, root, symlinks=True)
    row.setup(root)
    before = snapshot(root)
    result = _run(root, row.args)
    output = result.output
    assert result.exit_code == row.exit, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert row.message in output, output
    if row.where:
        assert re.search(row.where, output), output
    if row.secret:
        assert row.secret not in output
    after = snapshot(root)
    if row.writes:  # OUT replaced whole; nothing else touched, nothing left beside it
        out = row.args[row.args.index("-o") + 1] if "-o" in row.args else "generated"
        assert {k: v for k, v in after.items() if not k.startswith(f"{out}/") and k != out} == {
            k: v for k, v in before.items() if not k.startswith((f"{out}/", f".{out}.")) and k != out
        }
        assert (root / out / "README.md").read_bytes().startswith(b"# generated/\n")
    else:
        assert after == before


def test_the_table_is_large_enough():
    assert len(ROWS) >= 60


def test_a_lint_finding_never_prints_a_credential(project, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(project, root, symlinks=True)
    (root / "rules.yml").write_text(rule_file(expr=f'sum(rate(x_total{{token="{SLACK_TOKEN}"}}[5m]) +'))
    result = _run(root, LINT)
    assert result.exit_code == 1 and "promql-syntax" in result.output, result.output
    assert SLACK_TOKEN not in result.output and "[redacted]" in result.output
