"""YAML is only ever loaded with safe loaders: policies and lint settings cannot run code."""

import re

import pytest
from conftest import ROOT

UNSAFE = re.compile(
    r"yaml\.(unsafe_load|full_load|load_all|compose_all)\b|yaml\.(Loader|FullLoader|UnsafeLoader)\b"
    r"|yaml\.(load|compose)\((?!.*Loader=_Loader)"
)  # module-level _Loader: checked below
TAGS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    "!!python/name:os.system",
    '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
]


def test_the_code_uses_safe_loaders_only():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "monitoring").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if UNSAFE.search(line)
    ]
    assert offenders == []
    loaders = {
        line.strip()
        for path in (ROOT / "monitoring").rglob("*.py")
        for line in path.read_text().splitlines()
        if re.match(r"\s*_Loader = ", line)
    }
    assert loaders and all("SafeLoader" in line for line in loaders), loaders


@pytest.mark.parametrize("tag", TAGS)
def test_a_python_tag_in_the_notification_policy_is_a_clean_error(cli, tmp_path, tag):
    marker = tmp_path / "pwned"
    policies = tmp_path / "policies"
    policies.mkdir()
    text = (ROOT / "policies" / "notifications.yaml").read_text()
    text = text.replace("  group_by: [alertname, model_name]", f"  group_by: {tag.format(marker=marker)}")
    (policies / "notifications.yaml").write_text(text)
    result = cli(["generate", "--policies", policies, "--out", tmp_path / "gen"])
    assert result.exit_code == 2, result.output
    assert "notifications.yaml:" in result.output and "tag" in result.output and "Traceback" not in result.output
    assert not marker.exists() and not (tmp_path / "gen").exists()


@pytest.mark.parametrize("tag", TAGS)
def test_a_python_tag_in_the_lint_policy_is_a_clean_error(cli, tmp_path, tag):
    marker = tmp_path / "pwned"
    config = tmp_path / "lint.yaml"
    config.write_text(f"severities: {tag.format(marker=marker)}\nchecks: {{}}\n")
    result = cli(["lint", "--config", config])
    assert result.exit_code == 2 and "lint.yaml:1: not valid YAML" in result.output, result.output
    assert "Traceback" not in result.output and not marker.exists()
