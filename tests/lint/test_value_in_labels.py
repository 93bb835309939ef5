"""value-in-labels: an alert label that changes at every evaluation."""

import pytest
from lintkit import lint_text, rule_file


@pytest.mark.parametrize(
    "template, found",
    [
        ("{{ $value }}", "$value"),
        ("{{ $value | humanize }}%", "$value"),
        ("{{ .Value }}", ".Value"),
        ('{{ with query "up" }}{{ . | first | value }}{{ end }}', "query"),
    ],
)
def test_a_changing_label(tmp_path, template, found):
    text = rule_file("up == 0", alert=True, labels={"severity": "warning", "current": template})
    [finding] = lint_text(tmp_path, text, "value-in-labels")
    assert f"label 'current' uses {found}" in finding.message and "annotation" in finding.hint


def test_labels_from_labels_and_values_in_annotations_are_fine(tmp_path):
    text = rule_file(
        "up == 0",
        alert=True,
        labels={"severity": "warning", "target": "{{ $labels.instance }}", "note": "value"},
        annotations={"summary": "{{ $value }}", "runbook_url": "https://r.example.com"},
    )
    assert lint_text(tmp_path, text, "value-in-labels") == []
