"""duplicate-rule: the same alert or recorded series twice, in a group or across the files of one folder."""

import textwrap

from lintkit import lint_files

from monitoring.errors import Location

RECORD = "- record: job:errors:rate5m\n  expr: sum by (job) (rate(errors_total[5m]))\n"


def _file(tmp_path, name, *groups):
    text = "groups:\n" + "".join(
        f"  - name: {group}\n    rules:\n" + textwrap.indent(rules, "      ") for group, rules in groups
    )
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_same_recording_rule_twice_in_a_group(tmp_path):
    path = _file(tmp_path, "a.yml", ("g", RECORD + RECORD))
    [finding] = lint_files([path], only=("duplicate-rule",))
    assert finding.where == Location(str(path), 6) and finding.severity == "warning"
    assert f"recorded at {path}:4 (in the same group, an identical expression)" in finding.message


def test_alerts_with_the_same_name_and_labels_across_files(tmp_path):
    alert = "- alert: Down\n  expr: up == {n}\n  labels: {{severity: {s}}}\n"
    first = _file(tmp_path, "a.yml", ("g", alert.format(n=0, s="page")))
    second = _file(tmp_path, "b.yml", ("h", alert.format(n=1, s="page") + alert.format(n=0, s="ticket")))
    [finding] = lint_files([first, second], only=("duplicate-rule",))
    assert finding.where == Location(str(second), 4)
    assert f"defined at {first}:4 (in group 'g', a different expression)" in finding.message


def test_rules_selecting_different_values_of_a_kept_label_are_not_duplicates(tmp_path):
    rules = "".join(
        f'- record: code:requests:increase1h\n  expr: sum by (code) (increase(requests_total{{code=~"{c}"}}[1h]))\n'
        for c in ("2..", "5..")
    )
    assert lint_files([_file(tmp_path, "a.yml", ("g", rules))], only=("duplicate-rule",)) == []
    aggregated = rules.replace("sum by (code)", "sum")  # code aggregated away: both write the same series
    assert len(lint_files([_file(tmp_path, "b.yml", ("g", aggregated))], only=("duplicate-rule",))) == 1


def test_copies_in_different_folders_are_not_compared(tmp_path):
    # a vendored mixin beside its extracted copy, or one folder per environment: different servers' rules
    (tmp_path / "production").mkdir()
    (tmp_path / "staging").mkdir()
    paths = [_file(tmp_path, f"{env}/a.yml", ("g", RECORD)) for env in ("production", "staging")]
    assert lint_files(paths, only=("duplicate-rule",)) == []
    paths.append(_file(tmp_path, "staging/b.yml", ("h", RECORD)))  # the same folder: loaded together
    [finding] = lint_files(paths, only=("duplicate-rule",))
    assert finding.where == Location(str(paths[2]), 4) and f"recorded at {paths[1]}:4" in finding.message
