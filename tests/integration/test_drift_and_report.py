"""Drift and the run report in real nights through Airflow.

A planted shift: on the sample's last day every customer visits the shop in twelve
signed-in sessions, so tonight's ``sessions_90d`` is at least twelve for everyone the
churn model scores while the examples it trained on (earlier cutoffs) have a few
sessions at most. The night must measure that shift
against the training data, warn, list it in the manifest and the report, and with
``PZ_DRIFT_FAIL=1`` stop before publishing. The report is parsed back and every section
compared with the warehouse; an erasure rewrite keeps its digest right.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from tests.nights import REPO, generate_sample, isolated_env, run_night
from tests.report_html import external_references, parse_report
from warehouse.export.layout import MANIFEST, REPORT
from warehouse.export.report import NO_LIFT
from warehouse.export.rewrite import remove_people

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = "2019-06-30"
CUSTOMERS = 400
DAYS = 120


def plant_sessions_for_everyone(landing: Path, day: str, sessions: int = 12) -> int:
    """Append ``sessions`` signed-in web sessions (an hour apart) per CRM customer on
    ``day`` to that day's web events; orders, and so the churn labels, are untouched."""
    with (landing / "crm" / day / "customers.csv").open() as handle:
        customers = [row["customer_id"] for row in csv.DictReader(handle)]
    events = landing / "web" / day / "events.jsonl.gz"
    lines = gzip.decompress(events.read_bytes()).decode()
    for n, customer in enumerate(customers):
        for hour in range(sessions):
            event = {
                "messageId": f"m-plant-{n}-{hour}", "type": "page", "event": None,
                "anonymousId": f"a-plant-{n}", "userId": customer,
                "timestamp": f"{day}T{hour:02d}:00:00Z", "properties": None, "traits": None,
                "context": {"page": {"url": "https://shop.example/", "referrer": None},
                            "device": {"type": "desktop"}},
            }  # fmt: skip
            lines += json.dumps(event) + "\n"
    events.write_bytes(gzip.compress(lines.encode(), mtime=0))
    return len(customers)


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PZ_HOME after one night over a sample with the planted shift."""
    home = tmp_path_factory.mktemp("pz_home")
    generate_sample(
        home / "landing", customers=CUSTOMERS, days=DAYS, end_date=RUN_DATE, seed=3,
        env=isolated_env(home),
    )  # fmt: skip
    assert plant_sessions_for_everyone(home / "landing", RUN_DATE) > 300
    run_night(home, RUN_DATE)
    return home


def _query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_planted_shift_trips_the_threshold_and_the_night_warns(shifted: Path) -> None:
    rows = _query(
        shifted,
        "select model, kind, name, psi, threshold, status, model_version from ml.feature_drift "
        "where run_date = ?",
        [RUN_DATE],
    )
    by_name = {(m, k, n): (psi, t, s, v) for m, k, n, psi, t, s, v in rows}
    psi, threshold, status, version = by_name["churn", "feature", "sessions_90d"]
    assert threshold == 0.2 and status == "drift" and psi > 1.0
    # Segments train on tonight's features and score them: nothing moved.
    segments = [v for (m, k, _), v in by_name.items() if m == "segments" and k == "feature"]
    assert segments and all(s == "ok" and p < 1e-9 for p, _, s, _ in segments)
    assert {m for m, _, _ in by_name} >= {"churn", "segments", "recommendations"}
    assert ("churn", "score", "churn_probability") in by_name
    # The version that scored is the one the drift was measured for.
    scored = _query(
        shifted,
        "select distinct model_version from ml.churn_scores where run_date = ?",
        [RUN_DATE],
    )
    assert scored == [(version,)]

    manifest = json.loads((shifted / "exports" / RUN_DATE / MANIFEST).read_text())
    listed = {(d["model"], d["kind"], d["name"]) for d in manifest["drift"]}
    assert ("churn", "feature", "sessions_90d") in listed
    assert listed == {key for key, value in by_name.items() if value[2] != "ok"}
    summary = (shifted / "dag_run.log").read_text()
    assert "WARNING: drift: churn: " in summary
    log = (shifted / "logs" / f"run-{RUN_DATE}.log").read_text()
    assert "churn: drift from the training data of version" in log
    assert "published all the same" in log

    client = MlflowClient(f"sqlite:///{shifted / 'mlflow' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("churn")
    (run,) = client.search_runs([experiment.experiment_id], "tags.run_date = '2019-06-30'")
    assert run.data.metrics["psi.feature.sessions_90d"] == pytest.approx(psi)
    assert run.data.metrics["drift_max_psi"] >= psi
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "drift")}
    assert artifacts == {"drift/psi.json", "drift/reference.json"}
    # The PSI again, from the stored reference and tonight's scored people, by numpy alone.
    reference = json.loads(
        Path(client.download_artifacts(run.info.run_id, "drift/reference.json")).read_text()
    )["columns"]["feature:sessions_90d"]
    tonight = np.array(
        [v for (v,) in _query(shifted, "select sessions_90d from marts.churn_scoring_population")]
    )
    assert tonight.min() >= 12  # the plant reached everyone the model scored
    edges = np.array(reference["edges"])
    counts = np.bincount(np.searchsorted(edges, tonight, side="left"), minlength=len(edges) + 1)
    actual = np.maximum(np.append(counts / len(tonight), 0.0), 1e-4)
    expected = np.maximum(np.array(reference["shares"]), 1e-4)
    assert psi == pytest.approx(float(np.sum((actual - expected) * np.log(actual / expected))))
    metrics = dict(
        _query(
            shifted,
            "select metric, value from ml.model_metrics where run_date = ? and model = 'churn'",
            [RUN_DATE],
        )
    )
    assert metrics["drift_max_psi"] == pytest.approx(run.data.metrics["drift_max_psi"], abs=1e-6)
    assert metrics["auc_roc"] == pytest.approx(run.data.metrics["auc_roc"])


def test_the_report_matches_the_warehouse_and_opens_offline(shifted: Path) -> None:
    folder = shifted / "exports" / RUN_DATE
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["report"]["file"] == REPORT
    text = (folder / REPORT).read_text()
    assert hashlib.sha256(text.encode()).hexdigest() == manifest["report"]["sha256"]
    parsed = parse_report(text)
    assert external_references(parsed) == []
    assert list(parsed.sections) == ["audiences", "lift", "models", "drift", "loads"]

    sizes = {
        row["audience"]: (int(row["treated"]), int(row["control"]))
        for row in parsed.sections["audiences"].tables[0]
    }
    membership = _query(
        shifted,
        "select audience, count(*) filter (where not is_control), count(*) filter "
        "(where is_control) from audiences.membership where run_date = ? group by 1",
        [RUN_DATE],
    )
    assert {a: (t, c) for a, t, c in membership if t or c} == {
        a: v for a, v in sizes.items() if any(v)
    }
    files = {f["audience"]: f["rows"] for f in manifest["files"] if f["file"].endswith(".parquet")}
    assert {a: t for a, (t, _) in sizes.items()} == files

    lift_rows = (
        _query(shifted, "select count(*) from marts.audience_lift")[0][0]
        if _query(
            shifted,
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'audience_lift'",
        )[0][0]
        else 0
    )
    lift = parsed.sections["lift"]
    assert (NO_LIFT in lift.text) == (lift_rows == 0)

    models = {
        (row["model"], row["metric"]): float(row["value"])
        for row in parsed.sections["models"].tables[0]
    }
    stored = _query(
        shifted,
        "select model, metric, value from ml.model_metrics where run_date = ?",
        [RUN_DATE],
    )
    assert models == pytest.approx({(m, k): v for m, k, v in stored})
    assert ("churn", "auc_roc") in models

    drift = {
        (row["model"], row["kind"], row["name"]): (float(row["psi"]), row["status"])
        for row in parsed.sections["drift"].tables[0]
    }
    stored = _query(
        shifted,
        "select model, kind, name, psi, status from ml.feature_drift where run_date = ?",
        [RUN_DATE],
    )
    assert drift == {(m, k, n): (pytest.approx(p), s) for m, k, n, p, s in stored}
    assert drift["churn", "feature", "sessions_90d"][1] == "drift"

    loads = {
        (row["source"], row["entity"]): (int(row["files"]), int(row["rows_loaded"]))
        for row in parsed.sections["loads"].tables[0]
    }
    stored = _query(
        shifted, "select source, entity, count(*), sum(rows_loaded) from raw._loads group by all"
    )
    assert loads == {(s, e): (f, r) for s, e, f, r in stored}
    outcomes = {
        (row["record_type"], row["outcome"]): int(row["records"])
        for row in parsed.sections["loads"].tables[-1]
        if row["reason"] == ""
    }
    in_marts = _query(
        shifted,
        "select count(*) from marts.order_reconciliation "
        "where record_type = 'order' and outcome = 'in_marts'",
    )[0][0]
    assert outcomes["order", "in_marts"] == in_marts

    people = {p for (p,) in _query(shifted, "select person_id from marts.dim_customers")}
    assert people and not any(p in text for p in people)
    emails = {e for (e,) in _query(shifted, "select email from marts.dim_customers") if e}
    assert emails and not any(e in text for e in emails)


def test_an_erasure_rewrite_keeps_the_report_and_its_digest(shifted: Path) -> None:
    folder = shifted / "exports" / RUN_DATE
    before = (folder / REPORT).read_bytes()
    manifest = json.loads((folder / MANIFEST).read_text())
    person = _query(
        shifted,
        # an email audience: its files carry person ids (ads files carry hashes only)
        "select person_id from audiences.membership where run_date = ? and not is_control "
        "and audience = 'product_recommendations' order by person_id limit 1",
        [RUN_DATE],
    )[0][0]
    changed = remove_people(shifted / "exports", {None: [person]})
    assert changed.get(RUN_DATE, 0) > 0
    after = json.loads((folder / MANIFEST).read_text())
    assert after["rewrites"] and after["report"]["sha256"] == manifest["report"]["sha256"]
    assert (folder / REPORT).read_bytes() == before
    assert hashlib.sha256(before).hexdigest() == after["report"]["sha256"]


def test_with_drift_fail_the_night_stops_before_publishing(shifted: Path) -> None:
    folder = shifted / "exports" / RUN_DATE
    published = json.loads((folder / MANIFEST).read_text())
    run = subprocess.run(
        [sys.executable, "-m", "tools.airflow_local", "run", "--run-date", RUN_DATE],
        env={**isolated_env(shifted), "PZ_DRIFT_FAIL": "1"}, cwd=REPO, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert "PZ_DRIFT_FAIL=1, so nothing is published" in output
    assert "churn feature sessions_90d PSI" in output
    assert json.loads((folder / MANIFEST).read_text()) == published
    staged = list((shifted / "exports").glob(f".tmp-{RUN_DATE}-*"))
    assert staged and all((s / REPORT).is_file() for s in staged)
