"""The package type-checks: mypy over src/vn_repair, with the settings in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_type_checks(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install -e '.[test]')")
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not run from a source checkout")
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", str(tmp_path / "cache"), str(ROOT / "src" / "vn_repair")])
    assert status == 0, stdout + stderr
