"""The shipped monitoring against the real thing: Prometheus, with ``ops/prometheus.yml`` and
the rules in ``ops/rules/``, scraping ``reserve serve --workers 2`` that serves some traffic.
Through Prometheus' HTTP API: every dashboard panel's query is valid and returns data, every
rule evaluates without error, and damage written straight into the database (as its owner)
turns the integrity alert pending.

Only the intervals are shortened (to a second) and the target pointed at this test's server;
the jobs, paths and rules are the shipped ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from processes import free_port, next_monday, serving_database

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

OPS = Path(__file__).resolve().parents[2] / "ops"
NEEDS = "needs Prometheus (apt-get install prometheus)"
DASHBOARD = OPS / "grafana" / "dashboards" / "reserve.json"
WITHIN_SECONDS = 60.0
# What Grafana puts in place of its variables before it sends a query (the dashboard's
# instance variable with everything chosen).
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
    "$instance": ".+",
}


@pytest.fixture
def prometheus_binary() -> str:
    """Debian's Prometheus; without it the test skips, unless RESERVE_REQUIRE_PROMETHEUS
    is set (as CI sets it)."""
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("RESERVE_REQUIRE_PROMETHEUS"):
            pytest.fail(f"{NEEDS}; RESERVE_REQUIRE_PROMETHEUS is set")
        pytest.skip(NEEDS)
    return binary


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # those of a collapsed row


def panel_queries() -> list[tuple[str, str]]:
    """Every (panel title, query) of the dashboard, its Grafana variables filled in."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{panel['title']}: a variable this test does not know"
            found.append((panel["title"], expr))
    return found


def alert_expressions() -> set[str]:
    found = set()
    for path in sorted((OPS / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            found.update(rule["expr"] for rule in group["rules"] if "alert" in rule)
    return found


def eventually(what: Callable[[], bool], explain: Callable[[], str]) -> None:
    deadline = time.monotonic() + WITHIN_SECONDS
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WITHIN_SECONDS:.0f} s: {explain()}")
        time.sleep(0.25)


@contextmanager
def prometheus(binary: str, target: str, directory: Path) -> Iterator[httpx.Client]:
    """Prometheus with the shipped configuration, scraping ``target`` every second; a client
    of its HTTP API once it is ready."""
    config = yaml.safe_load((OPS / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(OPS / rules) for rules in config["rule_files"]]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "reserve"]
    job["static_configs"] = [{"targets": [target]}]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = directory / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={path}",
                f"--storage.tsdb.path={directory / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            def ready() -> bool:
                if process.poll() is not None:
                    pytest.fail(f"prometheus exited:\n{log.read_text(errors='replace')}")
                try:
                    return client.get("/-/ready").status_code == 200
                except httpx.TransportError:
                    return False

            eventually(ready, lambda: log.read_text(errors="replace"))
            yield client
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def query(client: httpx.Client, expr: str) -> list[dict[str, Any]]:
    """The instant query's result; fails the test when Prometheus refuses the query."""
    answer = client.get("/api/v1/query", params={"query": expr}).json()
    assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def traffic(base_url: str) -> None:
    """Bookings confirmed, replayed and pending, a hold extended then confirmed, and requests
    refused: what the panels have to show."""
    day = next_monday().isoformat()
    guest = {"name": "Ada", "email": "ada@example.com"}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for number in range(6):
            body = {"party_size": 2, "date": day, "time": f"{12 + number}:00", "guest": guest}
            headers = {"Idempotency-Key": f"prometheus-{number}"}
            assert (
                client.post(
                    "/v1/restaurants/white-horse/bookings", json=body, headers=headers
                ).status_code
                == 201
            )
            assert (
                client.post(
                    "/v1/restaurants/white-horse/bookings", json=body, headers=headers
                ).status_code
                == 201
            )
        large = {"party_size": 14, "date": day, "time": "20:00", "guest": guest}
        pending = client.post(
            "/v1/restaurants/white-horse/bookings", json=large, headers={"Idempotency-Key": "large"}
        )
        assert pending.status_code == 202, pending.text
        hold = client.post(
            "/v1/restaurants/white-horse/holds",
            json={"party_size": 4, "date": day, "time": "19:00"},
        ).json()
        assert client.post(f"/v1/holds/{hold['id']}/extend").status_code == 200
        confirmed = client.post(
            "/v1/restaurants/white-horse/bookings",
            json={
                "party_size": 4,
                "date": day,
                "time": "19:00",
                "guest": guest,
                "hold_id": hold["id"],
            },
            headers={"Idempotency-Key": "held"},
        )
        assert confirmed.status_code == 201, confirmed.text
        assert (
            client.get(
                "/v1/restaurants/white-horse/availability", params={"date": day, "party_size": 2}
            ).status_code
            == 200
        )
        assert client.get("/v1/restaurants/nowhere").status_code == 404
        assert (
            client.post(
                "/v1/restaurants/white-horse/bookings", json={}, headers={"Idempotency-Key": "bad"}
            ).status_code
            == 422
        )


def test_the_dashboard_and_the_alerts_work_against_a_real_prometheus(
    prometheus_binary: str, database_url: str, admin: Connection, tmp_path: Path
) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    with (
        serving_database(
            database_url,
            tmp_path / "serve.log",
            workers=2,
            secret="prometheus-test-secret",
            RESERVE_INTEGRITY_SECONDS="1",
            RESERVE_PRUNE_SECONDS="1",
            RESERVE_PENDING_RETRY_SECONDS="1",
        ) as (server, port),
        prometheus(prometheus_binary, f"127.0.0.1:{port}", tmp_path) as api,
    ):
        traffic(server.base_url)

        # A few scrapes after the traffic, and every rule evaluated since.
        def scraped() -> bool:
            return bool(query(api, 'count_over_time(up{job="reserve"}[1m]) >= 5'))

        eventually(scraped, server.output)

        def rules() -> list[dict[str, Any]]:
            groups = api.get("/api/v1/rules").json()["data"]["groups"]
            return [rule for group in groups for rule in group["rules"]]

        eventually(
            lambda: all(rule["health"] != "unknown" for rule in rules()),
            lambda: json.dumps(rules(), indent=1),
        )
        broken = [(r["name"], r.get("lastError")) for r in rules() if r["health"] != "ok"]
        assert broken == []
        assert len([rule for rule in rules() if rule["type"] == "alerting"]) == len(
            alert_expressions()
        )

        # Every panel's query is valid PromQL and has data. An alert's own expression has
        # data only while it fires: that it is valid is what the rules' health says above.
        # A rate needs two scrapes that succeeded: on a busy machine one may time out.
        alerts = {" ".join(expr.split()) for expr in alert_expressions()}
        shown = [(t, expr) for t, expr in panel_queries() if " ".join(expr.split()) not in alerts]

        def empty() -> list[tuple[str, str]]:
            return [(title, expr) for title, expr in shown if not query(api, expr)]

        eventually(
            lambda: not empty(),
            lambda: "no data for\n" + "\n".join(f"{t}: {expr}" for t, expr in empty()),
        )

        def integrity_alerts() -> list[dict[str, Any]]:
            active = api.get("/api/v1/alerts").json()["data"]["alerts"]
            return [a for a in active if a["labels"]["alertname"] == "ReserveIntegrityViolation"]

        assert integrity_alerts() == []
        # Damage no request could do: a confirmed booking's tables taken away by hand.
        admin.execute(
            "DELETE FROM allocations WHERE booking_id ="
            " (SELECT id FROM bookings WHERE status = 'confirmed' ORDER BY created_at LIMIT 1)"
        )
        eventually(lambda: bool(integrity_alerts()), server.output)
        (alert,) = integrity_alerts()
        assert alert["state"] in ("pending", "firing")
        assert alert["labels"].get("check") == "bookings_without_tables"
