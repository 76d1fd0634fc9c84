"""What the operations tests share: where ops/ is, and Prometheus's promtool.

Without promtool the tests that need it skip with one line saying how to get it; with
``RESERVE_REQUIRE_PROMETHEUS`` set (as CI sets it) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
PROMETHEUS_CONFIG = OPS / "prometheus.yml"
RULE_FILES = sorted((OPS / "rules").glob("*.yml"))
RULE_TEST_FILES = sorted((OPS / "tests").glob("*.yml"))
OPERATIONS_DOC = ROOT / "docs" / "operations.md"


@pytest.fixture(scope="session")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed: apt-get install prometheus (Debian) to run these"
        if os.environ.get("RESERVE_REQUIRE_PROMETHEUS"):
            pytest.fail(message)
        pytest.skip(message)
    return found
