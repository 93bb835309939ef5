"""`monitoring lint`: output format, counts, exit codes; `monitoring check` fails on lint errors."""

import textwrap


def test_definitions_lint_clean(cli):
    result = cli(["lint"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no findings"


def test_rule_files_and_folders_exit_1_on_errors_with_counts(cli, tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yml").write_text(
        textwrap.dedent("""\
        groups:
          - name: g
            rules:
              - alert: Down
                expr: up == 0
                labels: {severity: page}
                annotations: {summary: "{{ $label.instance }}"}
        """)
    )
    (folder / "notes.txt").write_text("not a rule file, not picked up from a folder")
    result = cli(["lint", folder])
    assert result.exit_code == 1, result.output
    assert f"{folder}/a.yml:4: error: alert-metadata: alert Down: severity 'page' is not allowed" in result.output
    assert "  hint: use one of: critical, warning, info" in result.output
    assert f"{folder}/a.yml:4: error: template-syntax:" in result.output
    assert "4 findings: 3 errors, 1 warning" in result.output
    assert "notes.txt" not in result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["alert-metadata", "2", "error"] for line in lines)


def test_warnings_only_exit_0_and_check_selection(cli, tmp_path):
    path = tmp_path / "r.yml"
    path.write_text("groups:\n  - name: g\n    rules:\n      - record: x_rate\n        expr: rate(x_total[5m])\n")
    result = cli(["lint", path])
    assert result.exit_code == 0 and "warning: recording-rule-name" in result.output
    assert cli(["lint", "--check", "promql-syntax", path]).output.strip() == "no findings"


def test_user_errors_exit_2(cli, tmp_path):
    assert cli(["lint", tmp_path / "missing.yml"]).exit_code == 2
    assert cli(["lint", "--check", "nope"]).exit_code == 2
    bad = tmp_path / "lint.yaml"
    bad.write_text("checks: {}\n")
    result = cli(["lint", "--config", bad])
    assert result.exit_code == 2 and "'severities' is a required property" in result.output
    assert "Traceback" not in result.output


def test_explain(cli):
    result = cli(["lint", "--explain", "vector-matching"])
    assert result.exit_code == 0 and "always 1" in result.output and "Good::" in result.output


def test_check_fails_when_lint_finds_errors(cli, tmp_path, monkeypatch):
    out = tmp_path / "gen"
    assert cli(["generate", "--out", out]).exit_code == 0
    strict = tmp_path / "lint.yaml"
    strict.write_text("severities: [critical]\nchecks: {}\n")  # the A/B stack's warning alerts become errors
    monkeypatch.setenv("MONITORING_LINT_CONFIG", str(strict))
    result = cli(["check", "--out", out])
    assert result.exit_code == 1
    assert "error: alert-metadata: alert ModelAccuracyDegraded: severity 'warning' is not allowed" in result.output
    assert "is up to date, but `monitoring lint` found errors" in result.output
    monkeypatch.delenv("MONITORING_LINT_CONFIG")
    assert cli(["check", "--out", out]).exit_code == 0


def _bad_file(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n"
        '        labels: {severity: page}\n        annotations: {summary: "100%, down: yes"}\n'
    )
    return path


def test_json_format_is_one_document_with_positions_and_the_same_exit_code(cli, tmp_path):
    import json

    path = _bad_file(tmp_path)
    result = cli(["lint", "--format", "json", path])
    assert result.exit_code == 1
    document = json.loads(result.output)
    by_check = {f["check"]: f for f in document["findings"]}
    assert by_check["alert-metadata"]["file"] == str(path) and by_check["alert-metadata"]["line"] == 4
    assert by_check["alert-metadata"]["severity"] == "error" and by_check["alert-metadata"]["hint"]
    assert document["totals"] == {"error": 2, "warning": 1, "info": 0}
    assert document["by_check"] == {"alert-metadata": 2, "alert-for": 1}
    clean = tmp_path / "clean.yml"
    clean.write_text("groups: []\n")
    result = cli(["lint", "--format", "json", clean])
    assert result.exit_code == 0 and json.loads(result.output)["findings"] == []


def test_github_format_is_one_annotation_per_finding(cli, tmp_path):
    path = _bad_file(tmp_path)
    result = cli(["lint", "--format", "github", path])
    assert result.exit_code == 1
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(annotations) == 3
    assert annotations[0].startswith(f"::warning file={path},line=4,title=monitoring lint%3A alert-for::alert Down")
    errors = [a for a in annotations if a.startswith("::error ")]
    assert len(errors) == 2 and all("%0Ahint: " in a and "\n" not in a for a in errors)
    assert "3 findings: 2 errors, 1 warning" in result.output  # the counts stay readable in the log


def test_github_escaping():
    from monitoring.errors import Location
    from monitoring.lint.finding import Finding
    from monitoring.lint.report import as_github

    finding = Finding("humanize", "info", Location("dir,x/a:b.yml", 7, 3), "50% done\r\nnext", "h")
    assert as_github(finding) == (
        "::notice file=dir%2Cx/a%3Ab.yml,line=7,col=3,title=monitoring lint%3A humanize::50%25 done%0D%0Anext%0Ahint: h"
    )


def test_explain_without_a_name_lists_every_check(cli):
    from monitoring.lint.registry import check_modules

    result = cli(["lint", "--explain"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()[: len(check_modules())]]
    assert listed == [m.NAME for m in check_modules()]
    assert cli(["lint", "--explain", "nope"]).exit_code == 2
