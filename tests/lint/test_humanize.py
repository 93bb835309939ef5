"""humanize: humanize* applied to a label rather than $value."""

import pytest
from lintkit import lint_text, rule_file


@pytest.mark.parametrize(
    "template",
    [
        "{{ $labels.device | humanizePercentage }}",
        "{{ humanize $labels.bytes }}",
        '{{ index $labels "size" | humanize1024 }}',
        "{{ .Labels.age | humanizeDuration }}",
    ],
)
def test_humanize_of_a_label(tmp_path, template):
    annotations = {"summary": f"x {template}", "runbook_url": "https://r.example.com"}
    [finding] = lint_text(tmp_path, rule_file("up == 0", alert=True, annotations=annotations), "humanize")
    assert finding.severity == "info" and "a label (a string)" in finding.message and "$value" in finding.hint


def test_humanize_of_the_value_is_fine(tmp_path):
    annotations = {
        "summary": "{{ $labels.device }} is {{ $value | humanizePercentage }} full, {{ humanize $value }}",
        "runbook_url": "https://r.example.com",
    }
    assert lint_text(tmp_path, rule_file("up == 0", alert=True, annotations=annotations), "humanize") == []
