"""template-syntax: undefined variables, unknown functions, unclosed actions."""

import pytest
from lintkit import lint_text, rule_file

from monitoring.lint.checks.template_syntax import template_problem


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Instance {{ $label.instance }} down", "undefined variable $label"),
        ("{{ $value | humanise }}", "function 'humanise' is not defined"),
        ("{{ $labels.job ", "not closed"),
        ("{{ $vlaue }}", "undefined variable $vlaue"),
    ],
)
def test_mistakes(text, expected):
    assert expected in template_problem(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "{{ $labels.instance }} is {{ $value | humanizePercentage }}",
        '{{ with query "up" }}{{ . | first | value | humanize }}{{ end }}',
        "{{ $x := $labels.job }}{{ $x }} on {{ .ExternalLabels.env }} {{ $externalURL }}",
        '{{ printf "%.2f" $value }} {{ if gt $value 1.0 }}high{{ else }}ok{{ end }}',
        '{{ range $i, $e := query "up" }}{{ $e.Labels.job }}{{ end }}',
        "no template at all",
    ],
)
def test_valid_templates(text):
    assert template_problem(text) is None


def test_reported_for_alert_annotations_and_labels(tmp_path):
    text = rule_file(
        "up == 0",
        alert=True,
        annotations={"summary": "{{ $label.instance }}", "runbook_url": "u"},
        labels={"severity": "warning", "who": "{{ $labels.job"},
    )
    findings = lint_text(tmp_path, text, "template-syntax")
    assert sorted(f.message.split(":")[1].strip() for f in findings) == ["annotation 'summary'", "label 'who'"]
    assert any(f.hint == "did you mean $labels?" for f in findings)
