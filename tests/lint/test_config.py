"""policies/lint.yaml: validated by its JSON Schema; unknown checks and unsafe YAML are clean errors."""

from pathlib import Path

import pytest

from monitoring.errors import DefinitionError
from monitoring.lint.config import load_config
from monitoring.lint.registry import check_modules

ROOT = Path(__file__).resolve().parents[2]


def test_the_project_policy_is_valid_and_configures_every_check():
    config = load_config(ROOT / "policies" / "lint.yaml")
    assert set(config.checks) == {m.NAME for m in check_modules()}
    assert config.severities == ("critical", "warning", "info", "none")  # none: the Watchdog


def test_every_check_module_documents_itself():
    for module in check_modules():
        doc = module.__doc__ or ""
        assert doc.startswith(module.NAME + ":") and "Why:" in doc and "Bad::" in doc and "Good::" in doc, module


@pytest.mark.parametrize(
    "text, expected",
    [
        ("severities: [critical]\nchecks:\n  nope: error\n", ":3: checks: unknown check 'nope'"),
        ("severities: []\nchecks: {}\n", ":1: severities: [] should be non-empty"),
        ("severities: [critical]\nchecks:\n  alert-for: loud\n", ":3: checks.alert-for: 'loud' is not one of"),
        ("severities: [critical]\nchecks: {}\nscrape_interval: fast\n", ":3: scrape_interval: 'fast' does not match"),
        ('severities: !!python/object/apply:os.system ["touch pwned"]\nchecks: {}\n', ":1: not valid YAML"),
        ("severities: !!python/name:os.system\nchecks: {}\n", ":1: not valid YAML"),
    ],
)
def test_bad_policies_are_clean_errors(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "lint.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_config(path)
    assert expected in caught.value.format()
    assert not (tmp_path / "pwned").exists()


def test_no_policy_file_means_the_checks_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config(None).checks == {}
    with pytest.raises(DefinitionError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
