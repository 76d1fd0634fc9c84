"""The Prometheus config and alert rules of ops/: valid to promtool, passing their own unit
tests (ops/tests), each alert shown firing and staying silent there, and each alert's
runbook annotation pointing at a section of docs/operations.md.

The checks of what the files hold are functions that return what is wrong, nothing when
all is well: the committed files must give nothing, and a copy broken on purpose must give
something, so that no check passes by not looking.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.ops.conftest import (
    OPERATIONS_DOC,
    OPS,
    PROMETHEUS_CONFIG,
    ROOT,
    RULE_FILES,
    RULE_TEST_FILES,
)

SEVERITIES = {"page", "ticket"}
ANNOTATIONS = {"summary", "description", "runbook"}
RUNBOOK = "docs/operations.md#"

Rule = dict[str, Any]


def run_promtool(promtool: str, *arguments: str | Path) -> None:
    """promtool with paths relative to the repository, as its messages then name them."""
    named = [str(a.relative_to(ROOT)) if isinstance(a, Path) else a for a in arguments]
    result = subprocess.run(
        [promtool, *named],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alerts(rule_files: list[Any]) -> Iterator[Rule]:
    for loaded in rule_files:
        for group in loaded["groups"]:
            yield from (rule for rule in group["rules"] if "alert" in rule)


def alert_cases(test_files: list[Any]) -> Iterator[dict[str, Any]]:
    """Every alert_rule_test case of every unit-test file."""
    for loaded in test_files:
        for test in loaded["tests"]:
            yield from test.get("alert_rule_test", [])


def untested(rule_files: list[Any], test_files: list[Any]) -> list[str]:
    """Alerts without a case expecting them to fire, or without one expecting silence."""
    firing, silent = set(), set()
    for case in alert_cases(test_files):
        (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    problems = []
    for rule in alerts(rule_files):
        if rule["alert"] not in firing:
            problems.append(f"{rule['alert']}: no test case expects it to fire")
        if rule["alert"] not in silent:
            problems.append(f"{rule['alert']}: no test case expects it to stay silent")
    return problems


def badly_labelled(rule_files: list[Any]) -> list[str]:
    """Alerts without a severity of page or ticket, or one of the annotations, or whose
    description does not give the value (unless the value is always 0)."""
    problems = []
    for rule in alerts(rule_files):
        name = rule["alert"]
        severity = rule.get("labels", {}).get("severity")
        if severity not in SEVERITIES:
            problems.append(f"{name}: severity {severity!r}, not one of {sorted(SEVERITIES)}")
        missing = ANNOTATIONS - set(rule.get("annotations", {}))
        if missing:
            problems.append(f"{name}: no {', '.join(sorted(missing))} annotation")
        says_nothing = rule["expr"].strip().endswith("== 0")  # its value is always 0
        description = rule.get("annotations", {}).get("description", "")
        if "$value" not in description and not says_nothing:
            problems.append(f"{name}: the description does not give the value")
    return problems


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown text."""
    found: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = re.match(r"#{1,6} +(.+?) *#* *$", line)
        if fenced or heading is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading[1].lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in found:
            n += 1
            anchor = f"{slug}-{n}"
        found.add(anchor)
    return found


def unlinked(rule_files: list[Any], markdown: str) -> list[str]:
    """Alerts whose runbook annotation is not a section of docs/operations.md."""
    sections = anchors(markdown)
    problems = []
    for rule in alerts(rule_files):
        runbook = rule.get("annotations", {}).get("runbook", "")
        if not runbook.startswith(RUNBOOK):
            problems.append(f"{rule['alert']}: runbook {runbook!r} is not {RUNBOOK}<anchor>")
        elif runbook.removeprefix(RUNBOOK) not in sections:
            problems.append(f"{rule['alert']}: docs/operations.md has no heading for {runbook}")
    return problems


@pytest.fixture(scope="module")
def rules() -> list[Any]:
    return [load(path) for path in RULE_FILES]


@pytest.fixture(scope="module")
def rule_tests() -> list[Any]:
    return [load(path) for path in RULE_TEST_FILES]


# --- promtool ------------------------------------------------------------------------------


def test_the_prometheus_config_is_valid(promtool: str) -> None:
    run_promtool(promtool, "check", "config", PROMETHEUS_CONFIG)


def test_the_rules_are_valid(promtool: str) -> None:
    run_promtool(promtool, "check", "rules", *RULE_FILES)


def test_the_rules_pass_their_unit_tests(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", *RULE_TEST_FILES)


def test_the_config_loads_every_rule_file() -> None:
    config = load(PROMETHEUS_CONFIG)
    loaded = {path for pattern in config["rule_files"] for path in OPS.glob(pattern)}
    assert loaded == set(RULE_FILES)


def test_the_unit_tests_load_every_rule_file(rule_tests: list[Any]) -> None:
    loaded = {
        (path.parent / name).resolve()
        for path, tests in zip(RULE_TEST_FILES, rule_tests, strict=True)
        for name in tests["rule_files"]
    }
    assert loaded == {path.resolve() for path in RULE_FILES}


# --- what the files hold -------------------------------------------------------------------


def test_every_alert_has_a_case_firing_and_one_silent(
    rules: list[Any], rule_tests: list[Any]
) -> None:
    assert [rule["alert"] for rule in alerts(rules)], "no alert found in ops/rules"
    assert untested(rules, rule_tests) == []


def test_an_alert_without_a_firing_case_is_found(rules: list[Any], rule_tests: list[Any]) -> None:
    added = {"alert": "ReserveUntested", "expr": "vector(1)"}
    broken = [*rules, {"groups": [{"name": "more", "rules": [added]}]}]
    assert untested(broken, rule_tests) == [
        "ReserveUntested: no test case expects it to fire",
        "ReserveUntested: no test case expects it to stay silent",
    ]


def test_every_alert_has_a_severity_and_its_annotations(rules: list[Any]) -> None:
    assert badly_labelled(rules) == []


def test_an_alert_without_severity_or_runbook_is_found(rules: list[Any]) -> None:
    broken = [
        {"groups": [{"name": "more", "rules": [{"alert": "ReserveBare", "expr": "vector(1)"}]}]}
    ]
    assert badly_labelled(broken) == [
        "ReserveBare: severity None, not one of ['page', 'ticket']",
        "ReserveBare: no description, runbook, summary annotation",
        "ReserveBare: the description does not give the value",
    ]


def test_every_runbook_link_is_a_section_of_the_operations_doc(rules: list[Any]) -> None:
    assert unlinked(rules, OPERATIONS_DOC.read_text()) == []


def test_a_runbook_link_without_its_section_is_found(rules: list[Any]) -> None:
    lines = OPERATIONS_DOC.read_text().splitlines()
    without_runbook = "\n".join(line for line in lines if line != "### ReservePoolTimeouts")
    assert unlinked(rules, without_runbook) == [
        "ReservePoolTimeouts: docs/operations.md has no heading for "
        "docs/operations.md#reservepooltimeouts"
    ]


def test_anchors_are_made_as_github_makes_them() -> None:
    lines = [
        "# Operations",
        "## What `reserve serve` survives",
        "```",
        "# not a heading",
        "```",
        "## Runbook",
        "## Runbook",
    ]
    text = "\n".join(lines)
    assert anchors(text) == {"operations", "what-reserve-serve-survives", "runbook", "runbook-1"}
