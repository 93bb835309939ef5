"""Checks that need the read-only corpora at ../shared (run by .ci/run only; users' clones lack them)."""

from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--shared", action="store", required=True, help="path to the shared/ folder")


@pytest.fixture(scope="session")
def shared(request) -> Path:
    path = Path(request.config.getoption("--shared")).resolve()
    assert (path / "corpora").is_dir(), f"{path} has no corpora/"
    return path
