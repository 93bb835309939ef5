"""template-labels: $labels.x where the expression drops x."""

from lintkit import Alert, lint_stack, lint_text, rule_file

from monitoring import Step, Threshold, above

LOAD_T = Threshold("load", steps=(Step(None, "green", "ok"), Step(80, "red", "high")))


def _alert(signal, description):
    return Alert("AccuracyHigh", above(signal, LOAD_T["high"]), "5m", "warning", summary="s", description=description)


def test_label_aggregated_away_in_definitions():
    [finding] = lint_stack(
        "template-labels", _alert("avg by (model_name) (svc_accuracy)", "{{ $labels.instance }} is at {{ $value }}")
    )
    assert "$labels.instance" in finding.message and "model_name" in finding.hint
    assert str(finding.where).startswith("tests/lint/test_template_labels.py:")


def test_kept_labels_are_fine():
    assert (
        lint_stack(
            "template-labels",
            _alert("avg by (model_name, instance) (svc_accuracy)", "{{ $labels.instance }} / {{ $labels.model_name }}"),
        )
        == []
    )
    assert lint_stack("template-labels", _alert("svc_accuracy", "{{ $labels.job }} {{ .Labels.model_name }}")) == []


def test_rule_files(tmp_path):
    text = rule_file(
        "sum by (job) (rate(errors_total[5m])) > 1",
        alert=True,
        annotations={"summary": "{{ $labels.instance }} of {{ $labels.job }}", "runbook_url": "u"},
    )
    [finding] = lint_text(tmp_path, text, "template-labels")
    assert "instance" in finding.message
    unknown = rule_file("rate(errors_total[5m]) > 1", alert=True, annotations={"summary": "{{ $labels.instance }}"})
    assert lint_text(tmp_path, unknown, "template-labels") == []
