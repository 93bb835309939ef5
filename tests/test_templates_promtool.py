"""Annotation templates expanded by monitoring.testgen.templates, checked against Prometheus 2.42's own expansion:
promtool runs an alert whose annotations hold every template below on series of awkward values, and must find
exactly the text we expect (the expectation is our expansion, never a hand-written string)."""

import subprocess

import yaml

from monitoring.testgen.templates import UnsupportedTemplate, expand
from monitoring.verify.tools import find_tool

VALUES = [12300000, 1230000000, 123456, 1234567, 1e-05, 0.000123, 0.5, 42, -3.75, 1e21, 259205, 0.25, 1999.5, 0]

TEMPLATES = {
    "value": "VALUE = {{ $value }}",
    "dot_value": "{{ .Value }}",
    "humanize_call": "{{ humanize $value }} / {{$value | humanize}}",
    "humanize1024": "{{ $value | humanize1024 }}",
    "percentage": "{{ $value | humanizePercentage }}",
    "duration": '{{ if lt $value 1e15 }}{{ $value | humanizeDuration }}{{ end }} {{ "43200" | humanizeDuration }}',
    "timestamp": "{{ if lt $value 1e15 }}{{ $value | humanizeTimestamp }}{{ end }}",
    "printf": '{{ printf "%.2f" $value }} {{ $value | printf "%.1f" }} {{ printf "%0.0f" $value }} '
    '{{ printf "%.4g" $value }} {{ printf "%8.3e|%-6v|%+g" $value $value $value }}',
    "printf_wrong": '{{ printf "%d" $value }} {{ printf "%s %s" $labels.v }}',
    "labels": '{{ $labels.v }}{{ .Labels.v }}{{ $labels.missing }}|{{ $labels.v | toUpper }} {{ title "ab cd_e" }}',
    "external": '{{ .ExternalLabels.environment }}|{{ $externalLabels.x }}|{{ if eq .ExternalLabels.environment "a" }}'
    'A{{ else if eq .ExternalLabels.environment "" }}none{{ else }}B{{ end }}',
    "with": "{{ with $labels.v -}} v is {{ . }} {{- end }}{{ with $labels.missing }}never{{ else }} no{{ end }}",
    "compare": "{{ if gt $value 100.0 }}big{{ else }}small{{ end }} "
    "{{ if and (ge $value 0.5) (lt $value 50.0) }}mid{{ end }}",
    "comment": 'a {{/* ignored */}} b {{- " trimmed" }}',
}


def test_templates_expand_as_promtool_does(tmp_path):
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "x", "annotations": TEMPLATES}]}]}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    series = [{"series": f'x{{v="{i}"}}', "values": f"{v!r} {v!r}"} for i, v in enumerate(VALUES)]
    expected = []
    for i, v in enumerate(VALUES):
        labels = {"__name__": "x", "v": str(i)}
        annotations = {key: expand(text, labels, float(v)) for key, text in TEMPLATES.items()}
        expected.append({"exp_labels": {"v": str(i)}, "exp_annotations": annotations})
    tests = {
        "rule_files": ["rules.yml"],
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [{"eval_time": "1m", "alertname": "A", "exp_alerts": expected}],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, width=1000))
    run = subprocess.run(
        [find_tool("promtool"), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert expand("{{ $value }}", {}, 12300000.0) == "1.23e+07"  # Go's %v, not Python's repr


def test_unsupported_templates_are_refused():
    for text in [
        '{{ query "up" }}',
        "{{ humanizeDuration 1e21 }}",
        "{{ range $labels }}x{{ end }}",
        "{{ $x := 1 }}",
        "{{ $value | nope }}",
    ]:
        try:
            expand(text, {}, 1.0)
        except UnsupportedTemplate:
            continue
        raise AssertionError(f"{text!r} was expanded")
