"""The run report against a real DuckDB file built in the test: every section's figures
parsed back out of the page and compared with the warehouse, and nothing fetched."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.report_html import external_references, parse_report
from warehouse.audiences import Audience
from warehouse.export.report import NO_LIFT, audit_report, render, write_report

RUN_DATE = "2026-03-31"
AUDIENCES = [
    Audience("news", "Email.", "email", 1, "true", "'r'", ("person_id", "email")),
    Audience("promo", "Ads.", "ads", 1, "true", "'r'", ("person_id",)),
    Audience("quiet", "Nobody tonight.", "sms", 1, "true", "'r'", ("person_id", "phone")),
]
LIFT = """
create table marts.audience_lift (
    run_date date, audience varchar, channel varchar, window_days integer,
    window_closed boolean, treated_n bigint, control_n bigint, conversion_diff double,
    conversion_ci_low double, conversion_ci_high double, conversion_p_value double,
    revenue_diff double, revenue_ci_low double, revenue_ci_high double,
    revenue_p_value double, revenue_diff_cuped double, revenue_cuped_ci_low double,
    revenue_cuped_ci_high double
)
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            """
            create schema audiences; create schema marts; create schema ml; create schema raw;
            create table marts.dim_customers (person_id varchar, email varchar);
            insert into marts.dim_customers
                select 'pid' || lpad(cast(i as varchar), 14, '0'), 'p' || i || '@example.com'
                from range(40) t(i);
            create table audiences.membership (
                run_date date, audience varchar, person_id varchar, is_control boolean);
            insert into audiences.membership
                select '2026-03-31', 'news', 'pid' || lpad(cast(i as varchar), 14, '0'), i % 10 = 0
                from range(30) t(i);
            insert into audiences.membership
                select '2026-03-31', 'promo', 'pid' || lpad(cast(i as varchar), 14, '0'), false
                from range(12) t(i);
            insert into audiences.membership values ('2026-03-30', 'news', 'pid0', false);
            create table ml.model_metrics (run_date date, model varchar, model_version varchar,
                metric varchar, value double);
            insert into ml.model_metrics values
                ('2026-03-31', 'churn', '3', 'auc_roc', 0.8125),
                ('2026-03-31', 'churn', '3', 'rows_written', 1500),
                ('2026-03-30', 'churn', '2', 'auc_roc', 0.5);
            create table ml.model_skips (run_date date, model varchar, reason varchar);
            insert into ml.model_skips values ('2026-03-31', 'customer_value', 'too few repeat');
            create table ml.feature_drift (run_date date, model varchar, model_version varchar,
                kind varchar, name varchar, psi double, threshold double, status varchar);
            insert into ml.feature_drift values
                ('2026-03-31', 'churn', '3', 'feature', 'recency_days', 0.7594, 0.2, 'drift'),
                ('2026-03-31', 'churn', '3', 'score', 'churn_probability', 0.05, 0.2, 'ok'),
                ('2026-03-30', 'churn', '2', 'feature', 'orders', 0.9, 0.2, 'drift');
            create table raw._loads (file varchar, source varchar, entity varchar,
                extract_date date, rows_read bigint, rows_loaded bigint, rows_rejected bigint,
                status varchar);
            insert into raw._loads values
                ('crm/2026-03-30/customers.csv', 'crm', 'customers', '2026-03-30', 40, 38, 2,
                 'loaded'),
                ('shop/2026-03-31/orders.csv', 'shop', 'orders', '2026-03-31', 10, 10, 0,
                 'loaded'),
                ('shop/2026-03-31/bad.csv', 'shop', 'orders', '2026-03-31', 0, 0, 0, 'failed');
            create table raw._rejects (file varchar, source varchar, entity varchar,
                line bigint, column_name varchar, reason varchar, raw_text varchar);
            insert into raw._rejects values
                ('crm/2026-03-30/customers.csv', 'crm', 'customers', 3, 'created_at',
                 'cannot read timestamp from secret-value', 'c9,leak@example.com,secret-value'),
                ('crm/2026-03-30/customers.csv', 'crm', 'customers', 7, 'created_at',
                 'missing required value', 'c8,,');
            create table marts.order_reconciliation (record_type varchar, order_id varchar,
                line_number integer, outcome varchar, reason varchar);
            insert into marts.order_reconciliation values
                ('order', 'o1', null, 'in_marts', null), ('order', 'o2', null, 'in_marts', null),
                ('order', 'o3', null, 'excluded', 'placed after run_date'),
                ('line', 'o1', 1, 'in_marts', null);
            """
        )
    return db


def _report(db: Path, previous: dict | None = None) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return render(con, RUN_DATE, AUDIENCES, previous)


def _rows(table: list[dict[str, str]], *key: str) -> dict[tuple[str, ...], dict[str, str]]:
    return {tuple(row[k] for k in key): row for row in table}


def test_every_section_matches_the_warehouse(warehouse: Path) -> None:
    previous = {
        "run_date": "2026-03-30",
        "files": [
            {"file": "news.parquet", "audience": "news", "profile": "generic", "rows": 20},
            {"file": "news.csv", "audience": "news", "profile": "generic", "rows": 20},
            {"file": "news.klaviyo.csv", "audience": "news", "profile": "klaviyo", "rows": 99},
        ],
    }
    parsed = parse_report(_report(warehouse, previous))
    assert list(parsed.sections) == ["audiences", "lift", "models", "drift", "loads"]
    assert external_references(parsed) == []

    audiences = _rows(parsed.sections["audiences"].tables[0], "audience")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for (name,), row in audiences.items():
            treated, control = con.execute(
                "select count(*) filter (where not is_control), count(*) filter (where is_control)"
                " from audiences.membership where run_date = ? and audience = ?",
                [RUN_DATE, name],
            ).fetchone()
            assert (int(row["treated"]), int(row["control"])) == (treated, control)
    assert audiences["news",] == {
        "audience": "news", "channel": "email", "treated": "27", "control": "3",
        "previous_treated": "20", "change": "7",
    }  # fmt: skip
    assert audiences["promo",]["previous_treated"] == "" and audiences["quiet",]["treated"] == "0"
    assert parsed.sections["audiences"].images == 1
    assert "2026-03-30" in parsed.sections["audiences"].text

    assert NO_LIFT in parsed.sections["lift"].text

    models = _rows(parsed.sections["models"].tables[0], "model", "metric")
    assert float(models["churn", "auc_roc"]["value"]) == 0.8125
    assert models["churn", "auc_roc"]["model_version"] == "3"
    assert set(models) == {("churn", "auc_roc"), ("churn", "rows_written")}
    skips = parsed.sections["models"].tables[1]
    assert skips == [{"model": "customer_value", "reason": "too few repeat"}]

    drift = _rows(parsed.sections["drift"].tables[0], "name")
    assert set(drift) == {("recency_days",), ("churn_probability",)}
    assert float(drift["recency_days",]["psi"]) == 0.7594
    assert drift["recency_days",]["status"] == "drift"
    assert parsed.sections["drift"].images == 1

    files, rejects, outcomes = parsed.sections["loads"].tables
    files = _rows(files, "source", "entity")
    assert files["crm", "customers"]["rows_rejected"] == "2"
    assert (
        files["shop", "orders"]["files"] == "2" and files["shop", "orders"]["failed_files"] == "1"
    )
    assert rejects == [
        {"source": "crm", "entity": "customers", "column_name": "created_at", "rows": "2"}
    ]
    outcomes = _rows(outcomes, "record_type", "outcome", "reason")
    assert outcomes["order", "in_marts", ""]["records"] == "2"
    assert outcomes["order", "excluded", "placed after run_date"]["records"] == "1"


def test_lift_is_read_from_marts_audience_lift(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(LIFT)
    assert NO_LIFT in parse_report(_report(warehouse)).sections["lift"].text  # empty table
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """
            insert into marts.audience_lift values
            ('2026-02-20', 'news', 'email', 30, true, 900, 100, 0.031, 0.011, 0.051, 0.002,
             4.5, 1.0, 8.0, 0.01, 4.1, 1.9, 6.3),
            ('2026-03-01', 'news', 'email', 30, false, 950, 105, 0.5, 0.4, 0.6, 0.0,
             1, 0, 2, 0.5, 1, 0, 2),
            ('2026-03-20', 'news', 'email', 7, true, 960, 104, -0.004, -0.02, 0.012, 0.6,
             -1.0, -3.0, 1.0, 0.4, -0.5, -2.0, 1.0),
            ('2026-04-10', 'news', 'email', 7, true, 1, 1, 9, 9, 9, 0, 9, 9, 9, 0, 9, 9, 9)
            """
        )
    section = parse_report(_report(warehouse)).sections["lift"]
    assert NO_LIFT not in section.text and section.images == 1
    lift = _rows(section.tables[0], "window_days")
    # 30 days: the closed window wins over the later open one; 7 days: nothing after tonight.
    assert lift["30",]["run_date"] == "2026-02-20" and lift["30",]["window_closed"] == "true"
    assert float(lift["30",]["conversion_ci_low"]) == 0.011
    assert float(lift["30",]["revenue_cuped_ci_high"]) == 6.3
    assert lift["7",]["run_date"] == "2026-03-20" and lift["7",]["treated_n"] == "960"
    assert float(lift["7",]["conversion_diff"]) == -0.004


def test_the_report_names_no_one_and_repeats_byte_for_byte(warehouse: Path) -> None:
    text = _report(warehouse)
    assert text == _report(warehouse)
    assert "pid0" not in text and "@example.com" not in text and "secret-value" not in text
    path = warehouse.parent / "report.html"
    path.write_text(text)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert audit_report(con, path) == []


@pytest.mark.parametrize(
    ("planted", "finding"),
    [
        ("<p>pid00000000000007</p>", "names 1 people by their person id"),
        ("<p>write to p3@example.com</p>", "holds an email address"),
        ('<img src="https://cdn.example.com/x.png">', "refers to something outside the page"),
        ("<style>@import 'x.css';</style>", "refers to something outside the page"),
        ('<script src="app.js"></script>', "refers to something outside the page"),
    ],
)
def test_the_audit_catches_a_person_or_an_external_reference(
    warehouse: Path, planted: str, finding: str
) -> None:
    path = warehouse.parent / "report.html"
    path.write_text(_report(warehouse).replace("</body>", planted + "</body>"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        findings = audit_report(con, path)
    assert len(findings) == 1 and finding in findings[0], findings


def test_the_previous_night_comes_from_the_latest_earlier_folder(
    warehouse: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    for day, rows in (("2026-03-29", 5), ("2026-03-30", 21), ("2026-04-02", 99)):
        (exports / day).mkdir(parents=True)
        files = [{"file": "news.parquet", "audience": "news", "profile": "generic", "rows": rows}]
        (exports / day / "manifest.json").write_text(json.dumps({"run_date": day, "files": files}))
    staging = exports / ".tmp-2026-03-31-x"
    staging.mkdir()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        entry = write_report(con, staging, RUN_DATE, AUDIENCES, exports, 0o600)
    assert entry["file"] == "report.html" and len(entry["sections"]) == 5
    assert (staging / "report.html").stat().st_mode & 0o777 == 0o600
    parsed = parse_report((staging / "report.html").read_text())
    news = _rows(parsed.sections["audiences"].tables[0], "audience")["news",]
    assert (news["previous_treated"], news["change"]) == ("21", "6")


def test_a_lift_table_without_its_key_columns_fails_and_extra_columns_are_optional(
    warehouse: Path,
) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table marts.audience_lift as select date '2026-03-01' as run_date, "
            "'news' as audience, 'email' as channel, 7 as window_days, true as window_closed, "
            "10 as treated_n, 0.01 as conversion_diff"
        )
    lift = parse_report(_report(warehouse)).sections["lift"].tables[0]
    assert lift == [
        {"audience": "news", "channel": "email", "window_days": "7", "run_date": "2026-03-01",
         "window_closed": "true", "treated_n": "10", "conversion_diff": "0.01"}
    ]  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.audience_lift drop column window_closed")
    with pytest.raises(ValueError, match="no column window_closed"):
        _report(warehouse)
