"""What alert-for says of `for` is what Prometheus does: promtool 2.42 evaluates the same alerts."""

import subprocess

import yaml

from monitoring.lint import lint_files
from monitoring.verify.tools import find_tool

RULES = {
    "groups": [
        {
            "name": "g",
            "interval": "1m",
            "rules": [
                {"alert": "NoFor", "expr": "up == 0"},
                {"alert": "ShortFor", "expr": "up == 0", "for": "30s"},
                {"alert": "OneInterval", "expr": "up == 0", "for": "1m"},
            ],
        }
    ]
}


def _firing(names, at):
    return [
        {"eval_time": at, "alertname": name, "exp_alerts": [{"exp_labels": {"job": "a"}}] if name in names else []}
        for name in ("NoFor", "ShortFor", "OneInterval")
    ]


def test_for_shorter_than_the_interval_fires_with_the_interval_and_no_for_at_once(tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump(RULES))
    tests = tmp_path / "tests.yml"
    tests.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(rules)],
                "evaluation_interval": "1m",
                "tests": [
                    {
                        "interval": "1m",
                        "input_series": [{"series": 'up{job="a"}', "values": "0x5"}],
                        "alert_rule_test": _firing({"NoFor"}, "0m")
                        + _firing({"NoFor", "ShortFor", "OneInterval"}, "1m"),
                    }
                ],
            }
        )
    )
    run = subprocess.run([find_tool("promtool"), "test", "rules", str(tests)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr  # 30s and 1m both fire at the second evaluation
    found = {f.message.split(":", 1)[0]: f.message for f in lint_files([rules], only=("alert-for",))}
    assert set(found) == {"alert NoFor", "alert ShortFor"}
    assert "fires on the first evaluation" in found["alert NoFor"]
    assert "acts as for: 1m" in found["alert ShortFor"]
