"""`monitoring lint` reads every real-world rule file in the corpus without crashing, and reports the
files promtool rejects (and promtool's deliberately broken fixtures) as errors."""

import csv
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

from monitoring.cli.main import main
from monitoring.lint import lint_files, summary


def _corpus_files(shared):
    return sorted(p for p in (shared / "corpora/rules").rglob("*") if p.is_file())


def _promtool_rejects(shared) -> set[str]:
    """Files (relative to corpora/) that promtool 2.42 refuses for what they are, not for how they run."""
    results = shared / "corpora/results-promtool-2.42"
    rejected = set()
    with open(results / "promtool_check_rules.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["result"] == "FAIL" and row["kind"] == "RULES":
                rejected.add(row["file"])
    with open(results / "promtool_test_rules.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            message = next(v for k, v in row.items() if k.startswith("first_error_lines"))
            if row["result"] == "FAIL" and "parse error" in message and "rules/" not in message:
                rejected.add(row["test_file"])  # a test file whose own input does not parse
    return rejected


def test_lint_reads_every_corpus_file_and_flags_what_promtool_rejects(shared, capsys):
    files = _corpus_files(shared)
    assert len(files) > 200
    findings = lint_files(files)  # no exception: every file read, odd ones reported as findings
    errors = defaultdict(list)
    for finding in findings:
        if finding.severity == "error":
            errors[finding.where.file].append(finding)
    rejected = _promtool_rejects(shared)
    assert {
        "rules/prometheus-promtool-testdata/bad-rules-syntax.yml",
        "rules/prometheus-promtool-testdata/rules-bad.yml",
        "rules/prometheus-promtool-testdata/rules_extrafields.yml",
        "rules/prometheus-promtool-testdata/features.yml",
        "rules/prometheus-promtool-testdata/bad-input-series.yml",
    } <= rejected
    for relative in sorted(rejected):
        assert errors.get(str(shared / "corpora" / relative)), f"{relative}: promtool rejects it, lint found no error"
    with capsys.disabled():
        print(f"\nmonitoring lint over {len(files)} corpus files:\n{summary(findings)}")
        print(per_check(findings, shared / "corpora"))


def per_check(findings, root, examples: int = 3) -> str:
    """Each check's count and its first findings, so the CI log shows what every check says of real rules."""
    grouped = defaultdict(list)
    for finding in findings:
        grouped[finding.check].append(finding)
    lines = []
    for check, found in sorted(grouped.items(), key=lambda item: -len(item[1])):
        lines.append(f"{check}: {len(found)}")
        for finding in found[:examples]:
            place = f"{Path(finding.where.file).relative_to(root)}:{finding.where.line}"
            lines.append(f"    {place}: {finding.message[:160]}")
    return "\n".join(lines)


def test_duplicate_rules_agree_with_promtool(shared):
    """promtool 2.42 reports duplicate rules (same name and labels) in five corpus files. We report the
    same, except where the rules select different values of a label they keep (kube-prometheus'
    code_verb:apiserver_request_total:increase1h for code=~"2..", "3..", ...: different series)."""
    results = (shared / "corpora/results-promtool-2.42/promtool_check_rules.tsv").read_text()
    promtool = {line.split("\t")[2] for line in results.splitlines() if "duplicate rule(s) found" in line}
    assert len(promtool) == 5
    for relative in sorted(promtool):
        path = shared / "corpora" / relative
        found = lint_files([path], only=("duplicate-rule",))
        if "code_verb:apiserver_request_total:increase1h" in results.split(relative, 1)[1].split("\n", 1)[0]:
            assert found == [], relative
        else:
            assert found and all(f.where.file == str(path) for f in found), relative


def test_cli_over_the_corpus_folder_has_no_traceback(shared):
    result = CliRunner().invoke(main, ["lint", str(shared / "corpora/rules")])
    assert result.exit_code == 1, result.output[-2000:]  # the corpus has real errors
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert (
        "rules-bad.yml:6: error: template-syntax: alert InstanceDown: annotation 'summary': undefined variable"
        in result.output
    )
