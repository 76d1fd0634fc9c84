"""The checks people run by hand run with the suite too, so CI cannot skip them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "tests", "migrations", "bench"],
        ["ruff", "format", "--check", "src", "tests", "migrations", "bench"],
        ["mypy"],
        ["lint-imports"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict", "import-contracts"],
)
def test_the_code_passes(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_two_test_modules_share_a_name() -> None:
    """pytest imports test modules by their name alone (the folders have no package), so
    a second module of one name fails the whole run when both are collected."""
    names: dict[str, list[str]] = {}
    for module in (ROOT / "tests").rglob("test_*.py"):
        names.setdefault(module.name, []).append(str(module.relative_to(ROOT)))
    assert not {name: paths for name, paths in names.items() if len(paths) > 1}
