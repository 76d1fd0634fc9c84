"""The Grafana dashboard (ops/grafana/dashboards/reserve.json) holds what Grafana needs to load
it, shows every metric the server exports and every alert of ops/rules, with no Grafana here.

Each check is a function that returns what is wrong with a dashboard, nothing when all is
well: the committed dashboard must give nothing, and a copy of it broken on purpose must give
something, so that no check passes by not looking.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from reserve import metrics
from reserve.db.observation import Figures
from reserve.services import observation

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "ops" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "reserve.json"
RULES = ROOT / "ops" / "rules"

GRID_COLUMNS = 24
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_VARIABLES = {"__rate_interval"}  # Grafana's own, which the exprs may use
ALERTS_ROW = "Alerts"
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}

Dashboard = dict[str, Any]
Panel = dict[str, Any]


def load_dashboard() -> Dashboard:
    loaded: Dashboard = json.loads(DASHBOARD.read_text())
    return loaded


def every_panel(dashboard: Dashboard) -> Iterator[Panel]:
    """Every panel, rows included, and those a collapsed row keeps inside it."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def graphs(dashboard: Dashboard) -> Iterator[Panel]:
    """Every panel that queries: all but the rows."""
    return (panel for panel in every_panel(dashboard) if panel.get("type") != "row")


def sections(dashboard: Dashboard) -> dict[str, list[Panel]]:
    """The panels under each row, by the row's title."""
    found: dict[str, list[Panel]] = {}
    current: list[Panel] = found.setdefault("", [])
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            current = found.setdefault(panel.get("title", ""), [])
            current.extend(panel.get("panels", []))
        else:
            current.append(panel)
    return found


def exprs(panel: Panel) -> list[str]:
    return [str(target.get("expr", "")) for target in panel.get("targets", [])]


def names_in(expr: str) -> set[str]:
    """The identifiers of a PromQL expression (metric names among them), quoted strings
    left out."""
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", unquoted))


# --- the checks ---------------------------------------------------------------------------------


def missing_fields(dashboard: Dashboard) -> list[str]:
    wrong = [
        name
        for name in ("uid", "title", "tags", "time", "refresh", "templating", "panels")
        if not dashboard.get(name)
    ]
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 39:
        wrong.append("schemaVersion (39 or later)")
    if not isinstance(dashboard.get("panels"), list):
        wrong.append("panels (a list)")
    return wrong


def duplicate_ids(dashboard: Dashboard) -> list[object]:
    seen: set[object] = set()
    twice: list[object] = []
    for panel in every_panel(dashboard):
        ident = panel.get("id")
        if not isinstance(ident, int):
            twice.append(f"{panel.get('title')!r} has no id")
        elif ident in seen:
            twice.append(ident)
        seen.add(ident)
    return twice


def variables(dashboard: Dashboard) -> dict[str, dict[str, Any]]:
    listed = dashboard.get("templating", {}).get("list", [])
    return {variable.get("name", ""): variable for variable in listed}


def datasource_problems(dashboard: Dashboard) -> list[str]:
    wrong = []
    variable = variables(dashboard).get("datasource") or {}
    if (variable.get("type"), variable.get("query")) != ("datasource", "prometheus"):
        wrong.append("no variable datasource of type datasource over prometheus")
    for name, other in variables(dashboard).items():
        if other.get("type") == "query" and other.get("datasource") != DATASOURCE:
            wrong.append(f"variable {name} does not query ${{datasource}}")
    for panel in graphs(dashboard):
        if panel.get("datasource") != DATASOURCE:
            wrong.append(f"panel {panel.get('title')!r}")
        wrong.extend(
            f"panel {panel.get('title')!r} target {target.get('refId')}"
            for target in panel.get("targets", [])
            if target.get("datasource") != DATASOURCE
        )
    return wrong


def query_problems(dashboard: Dashboard) -> list[str]:
    wrong = []
    for panel in graphs(dashboard):
        title = panel.get("title")
        targets = panel.get("targets") or []
        if not targets:
            wrong.append(f"{title!r} has no target")
        refs = [target.get("refId") for target in targets]
        if not all(refs) or len(set(refs)) != len(refs):
            wrong.append(f"{title!r} refIds {refs}")
        wrong.extend(f"{title!r} has an empty expr" for expr in exprs(panel) if not expr.strip())
        if not title:
            wrong.append(f"panel {panel.get('id')} has no title")
    return wrong


def unknown_variables(dashboard: Dashboard) -> list[str]:
    """Variables an expr uses that neither the dashboard nor Grafana defines."""
    known = set(variables(dashboard)) | GRAFANA_VARIABLES
    return [
        f"{panel.get('title')!r}: ${name}"
        for panel in graphs(dashboard)
        for expr in exprs(panel)
        for name in re.findall(r"\$\{?(\w+)", expr)
        if name not in known
    ]


def unbalanced_exprs(dashboard: Dashboard) -> list[str]:
    """Exprs whose brackets or quotes do not close: what a typo most often leaves."""
    pairs = {")": "(", "]": "[", "}": "{"}
    wrong = []
    for panel in graphs(dashboard):
        for expr in exprs(panel):
            if expr.count('"') % 2:
                wrong.append(expr)
                continue
            opened: list[str] = []
            for char in re.sub(r'"[^"]*"', "", expr):
                if char in "([{":
                    opened.append(char)
                elif char in pairs and (not opened or opened.pop() != pairs[char]):
                    opened.append("unmatched")
                    break
            if opened:
                wrong.append(expr)
    return wrong


def overlaps(panels: list[Panel]) -> list[str]:
    wrong = []
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        title = str(panel.get("title"))
        box = panel.get("gridPos") or {}
        if not all(isinstance(box.get(key), int) for key in "xywh"):
            wrong.append(f"{title!r} has no gridPos")
            continue
        x, y, w, h = (int(box[key]) for key in "xywh")
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            wrong.append(f"{title!r} is off the grid: {box}")
        for cell in ((column, line) for column in range(x, x + w) for line in range(y, y + h)):
            if cell in cells:
                wrong.append(f"{title!r} overlaps {cells[cell]!r}")
                break
            cells[cell] = title
    return wrong


def layout_problems(dashboard: Dashboard) -> list[str]:
    """On the 24 columns, no two panels on one cell: those drawn, and those of each
    collapsed row as they are drawn when it opens."""
    top = dashboard.get("panels", [])
    wrong = overlaps(top)
    for panel in top:
        wrong.extend(overlaps(panel.get("panels", [])))
    return wrong


def unused_metrics(dashboard: Dashboard, metric_series: dict[str, set[str]]) -> list[str]:
    """Metrics none of whose series any panel queries."""
    used = {name for panel in graphs(dashboard) for expr in exprs(panel) for name in names_in(expr)}
    return sorted(metric for metric, series in metric_series.items() if not series & used)


def unshown_alerts(dashboard: Dashboard, alerts: dict[str, str]) -> list[str]:
    """Alerts with no panel of their name in the Alerts row querying exactly their expr, and
    panels of that row that name no alert."""
    shown = {panel.get("title"): exprs(panel) for panel in sections(dashboard).get(ALERTS_ROW, [])}
    wrong = [name for name, expr in alerts.items() if expr not in shown.get(name, [])]
    wrong.extend(f"{title!r} is no alert" for title in shown if title not in alerts)
    return wrong


# --- what the dashboard must show -------------------------------------------------------------


def declared_metrics() -> dict[str, set[str]]:
    """Each metric reserve.metrics declares, with the series Prometheus keeps of it."""
    found = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                suffixes = SERIES_SUFFIXES.get(family.type, ("",))
                found[family.name] = {family.name + suffix for suffix in suffixes}
    return found


def database_gauges(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """Every gauge ``DatabaseFigures`` exports, read from a database that has something of
    each figure (so that no age is left out)."""
    everything = Figures(**{field.name: 1 for field in fields(Figures)})
    monkeypatch.setattr(observation, "figures", lambda conninfo: everything)
    collected = observation.DatabaseFigures("host=nowhere").collect()
    return {family.name: {family.name} for family in collected}


def rule_alerts() -> dict[str, str]:
    """Each alert of ops/rules/*.yml, by name, with its expr (promtool's test files, which
    have no groups, are passed over)."""
    found = {}
    for path in sorted(RULES.glob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for group in document.get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule:
                    found[rule["alert"]] = rule["expr"]
    return found


# --- the committed dashboard ----------------------------------------------------------------------


@pytest.fixture
def dashboard() -> Dashboard:
    return load_dashboard()


CHECKS: dict[str, Callable[[Dashboard], list[Any]]] = {
    "fields": missing_fields,
    "ids": duplicate_ids,
    "datasource": datasource_problems,
    "queries": query_problems,
    "variables": unknown_variables,
    "brackets": unbalanced_exprs,
    "layout": layout_problems,
}


@pytest.mark.parametrize("check", CHECKS.values(), ids=CHECKS.keys())
def test_the_dashboard_has_what_grafana_needs(
    dashboard: Dashboard, check: Callable[[Dashboard], list[Any]]
) -> None:
    assert check(dashboard) == []


def test_every_metric_the_server_declares_has_a_panel(dashboard: Dashboard) -> None:
    declared = declared_metrics()
    assert "reserve_request_seconds" in declared  # the module was read
    assert unused_metrics(dashboard, declared) == []


def test_every_gauge_read_from_the_database_has_a_panel(
    dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    gauges = database_gauges(monkeypatch)
    assert "reserve_pending_next_start_seconds" in gauges  # the optional ones too
    assert unused_metrics(dashboard, gauges) == []


def test_every_alert_has_a_panel_with_its_expression(dashboard: Dashboard) -> None:
    alerts = rule_alerts()
    assert alerts, "ops/rules holds no alert"
    unshown = unshown_alerts(dashboard, alerts)
    assert unshown == [], f"give the Alerts row of {DASHBOARD.name} each rule's expr: {unshown}"


def test_the_first_row_shows_exclusion_violations_red_unless_zero(dashboard: Dashboard) -> None:
    first = dashboard["panels"][0]
    assert first["type"] == "row"
    overview = sections(dashboard)[first["title"]]
    (panel,) = (p for p in overview if "reserve_exclusion_violations_total" in str(exprs(p)))
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert panel["type"] == "stat"
    assert steps == [{"color": "green", "value": None}, {"color": "red", "value": 1}]


def test_the_provisioning_loads_the_dashboards_folder_and_the_datasource_it_picks(
    dashboard: Dashboard,
) -> None:
    provisioning = GRAFANA / "provisioning"
    (provider,) = yaml.safe_load((provisioning / "dashboards/reserve.yml").read_text())["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")  # as Grafana sees it, once mounted
    (source,) = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert (source["type"], source["url"]) == ("prometheus", "http://localhost:9090")
    assert variables(dashboard)["datasource"]["current"]["value"] == source["uid"]


# --- each check can fail -----------------------------------------------------------------------


def duplicate_an_id(dashboard: Dashboard) -> None:
    graphs_found = list(graphs(dashboard))
    graphs_found[-1]["id"] = graphs_found[0]["id"]


def nest_a_duplicate_in_a_collapsed_row(dashboard: Dashboard) -> None:
    last_row = next(p for p in reversed(dashboard["panels"]) if p["type"] == "row")
    index = dashboard["panels"].index(last_row)
    hidden = dashboard["panels"][index + 1 :]
    del dashboard["panels"][index + 1 :]
    last_row["collapsed"] = True
    last_row["panels"] = hidden
    hidden[0]["id"] = dashboard["panels"][1]["id"]


def name_a_datasource(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["datasource"] = {"type": "prometheus", "uid": "PBFA97CFB590B2093"}


def name_a_target_datasource(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["targets"][0]["datasource"] = {"type": "prometheus", "uid": "x"}


def drop_the_datasource_variable(dashboard: Dashboard) -> None:
    dashboard["templating"]["list"] = [
        v for v in dashboard["templating"]["list"] if v["name"] != "datasource"
    ]


def empty_an_expr(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["targets"][0]["expr"] = " "


def repeat_a_ref_id(dashboard: Dashboard) -> None:
    panel = next(p for p in graphs(dashboard) if len(p["targets"]) > 1)
    panel["targets"][1]["refId"] = panel["targets"][0]["refId"]


def drop_the_targets(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["targets"] = []


def use_an_undefined_variable(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["targets"][0]["expr"] += ' or vector($__range_s) * on() "$zone"'


def leave_a_bracket_open(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["targets"][0]["expr"] += " / sum(rate(reserve_up[5m])"


def widen_past_the_grid(dashboard: Dashboard) -> None:
    next(graphs(dashboard))["gridPos"]["w"] = GRID_COLUMNS


def lay_one_panel_over_another(dashboard: Dashboard) -> None:
    first, second = list(graphs(dashboard))[:2]
    second["gridPos"] = dict(first["gridPos"], x=first["gridPos"]["x"] + 1, w=1)


def drop_the_uid(dashboard: Dashboard) -> None:
    del dashboard["uid"]


def use_an_old_schema(dashboard: Dashboard) -> None:
    dashboard["schemaVersion"] = 16


BREAKAGES: list[tuple[Callable[[Dashboard], list[Any]], Callable[[Dashboard], None]]] = [
    (missing_fields, drop_the_uid),
    (missing_fields, use_an_old_schema),
    (duplicate_ids, duplicate_an_id),
    (duplicate_ids, nest_a_duplicate_in_a_collapsed_row),
    (datasource_problems, name_a_datasource),
    (datasource_problems, name_a_target_datasource),
    (datasource_problems, drop_the_datasource_variable),
    (query_problems, empty_an_expr),
    (query_problems, repeat_a_ref_id),
    (query_problems, drop_the_targets),
    (unknown_variables, use_an_undefined_variable),
    (unbalanced_exprs, leave_a_bracket_open),
    (layout_problems, widen_past_the_grid),
    (layout_problems, lay_one_panel_over_another),
]


@pytest.mark.parametrize(
    ("check", "breakage"), BREAKAGES, ids=[breakage.__name__ for _, breakage in BREAKAGES]
)
def test_a_check_finds_the_dashboard_broken(
    dashboard: Dashboard,
    check: Callable[[Dashboard], list[Any]],
    breakage: Callable[[Dashboard], None],
) -> None:
    broken = copy.deepcopy(dashboard)
    breakage(broken)
    assert check(broken) != []


def test_the_collapsed_copy_itself_passes_the_layout(dashboard: Dashboard) -> None:
    """Collapsing the last row is no breakage: only the duplicated id should be found."""
    broken = copy.deepcopy(dashboard)
    nest_a_duplicate_in_a_collapsed_row(broken)
    assert layout_problems(broken) == []
    assert duplicate_ids(broken) == [broken["panels"][1]["id"]]


def test_a_metric_without_a_panel_is_found(dashboard: Dashboard) -> None:
    broken = copy.deepcopy(dashboard)
    for panel in graphs(broken):
        panel["targets"] = [t for t in panel["targets"] if "reserve_pool_waiting" not in t["expr"]]
    assert unused_metrics(broken, declared_metrics()) == ["reserve_pool_waiting"]


def test_an_alert_without_its_panel_is_found() -> None:
    alerts = {"ReserveNothingAtAll": "vector(1) > 2"}
    panel = {"id": 2, "title": "ReserveNothingAtAll", "targets": [{"refId": "A", "expr": "1"}]}
    board = {"panels": [{"id": 1, "type": "row", "title": ALERTS_ROW, "panels": []}, panel]}
    assert unshown_alerts(board, alerts) == ["ReserveNothingAtAll"]  # another expr
    assert unshown_alerts({"panels": [panel]}, alerts) == ["ReserveNothingAtAll"]  # no row
    panel["targets"][0]["expr"] = "vector(1) > 2"
    assert unshown_alerts(board, alerts) == []
    assert unshown_alerts(board, {}) == ["'ReserveNothingAtAll' is no alert"]


def test_an_alert_panel_out_of_step_with_its_rule_is_found(dashboard: Dashboard) -> None:
    broken = copy.deepcopy(dashboard)
    first = sections(broken)[ALERTS_ROW][0]
    first["targets"][0]["expr"] += " > 1"
    assert unshown_alerts(broken, rule_alerts()) == [first["title"]]
