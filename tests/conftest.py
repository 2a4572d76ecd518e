"""Shared test fixtures: where ../shared is, and skipping cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """The project's shared data folder (corpora, lexicons), if present beside the checkout."""
    env = os.environ.get("VN_REPAIR_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared")
    for c in candidates:
        if (c / "corpora").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    found = shared_dir()
    if found is None:
        pytest.skip("../shared (corpora and lexicons) is not present beside the checkout; "
                    "set VN_REPAIR_SHARED to run this test")
    return found


@pytest.fixture
def compiled_module() -> object:
    """The C module ``vn_repair._speedups``; the test skips on a pure-Python install."""
    from vn_repair import lm

    if lm._speedups is None:
        pytest.skip("the C module vn_repair._speedups is not built (a pure-Python install); "
                    "numpy does its work")
    return lm._speedups
