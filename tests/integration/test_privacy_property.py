"""Property: no exported row of any date belongs to someone who may not get it.

Hypothesis draws sequences of nights. Before each, a delivery of privacy and email
events for people of the sample: consent grants and revokes per channel, erasure
requests, hard bounces, spam complaints and unsubscribes. Each night is a real load,
real dbt builds, the real export (stage, audit, publish) and the privacy step, for the
latest delivered date or as a backfill of the base date. After every night, every file
of every export folder is checked against what the test itself delivered: no row may
name a person who is erased, suppressed from email (in an email file), or whose
latest consent record for the file's channel, as of everything loaded, is a revoke.

The oracle is independent of the dbt models' rules: it knows what the test delivered
(every event is later than the sample's own records, so a person's latest consent
for a channel is the test's latest event for them), and matches file rows by person
id (every id the ledger ever gave them), email, phone and their hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.dbt import run_dbt
from pipeline.export import publish, stage_and_audit
from pipeline.load import load_extracts
from pipeline.night import STEPS, run_step
from pipeline.privacy import apply_erasures
from tests.nights import generate_sample, isolated_env
from warehouse.export.layout import MANIFEST, listed_files
from warehouse.settings import load_settings

BASE = dt.date(2026, 6, 30)
CUSTOMERS = 60  # drawn from the first customers of the sample
CHANNELS = ("email", "sms", "ads")

_event = st.one_of(
    st.tuples(
        st.just("consent"),
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from(CHANNELS),
        st.sampled_from(["granted", "revoked"]),
    ),
    st.tuples(st.just("erasure"), st.integers(0, CUSTOMERS - 1)),
    st.tuples(
        st.just("suppression"),
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from(["bounce", "spam_report", "unsubscribe"]),
    ),
)
_a_night = st.tuples(st.lists(_event, min_size=1, max_size=6), st.booleans())


@pytest.fixture(scope="module")
def base_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample and one whole night (every step, in process) for the base date."""
    home = tmp_path_factory.mktemp("property") / "home"
    env = isolated_env(home)
    generate_sample(home / "landing", customers=400, days=90, end_date=str(BASE), seed=8, env=env)
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in env if k.startswith("PZ_")]:
            mp.setenv(key, env[key])
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        request = {"run_date": str(BASE), "run_after": dt.datetime(2026, 7, 1, 3, tzinfo=dt.UTC)}
        results: dict = {"request": request}
        for step in STEPS:
            results[step.name] = run_step(step.name, results)
    return home


def _customer(con: duckdb.DuckDBPyConnection, index: int) -> str:
    return con.execute(
        "select customer_id from raw.crm__customers group by customer_id "
        "order by customer_id limit 1 offset ?",
        [index],
    ).fetchone()[0]


def _tokens(con: duckdb.DuckDBPyConnection, customer_id: str) -> set[str]:
    """Everything that names the customer's person in a file, as of now."""
    rows = con.execute(
        """
        with person as (
            select person_id from marts.person_identifiers
            where identifier_type = 'customer_id' and identifier_value = ?
        ),
        nodes as (
            select c.node_hash from intermediate.int_identity_components p
            join intermediate.int_identity_clusters c using (node)
            where p.person_id in (select person_id from person)
        )
        select person_id from intermediate.int_person_id_ledger
        where node_hash in (select node_hash from nodes)
        union select email from raw.crm__customers where customer_id = ?
        union select phone from staging.stg_crm__customers where customer_id = ?
        union select email from marts.dim_customers where person_id in (select * from person)
        union select phone from marts.dim_customers where person_id in (select * from person)
        """,
        [customer_id, customer_id, customer_id],
    ).fetchall()
    plain = {r[0] for r in rows if r[0]}
    spelled = plain | {p.removeprefix("+") for p in plain}
    return plain | {hashlib.sha256(v.encode()).hexdigest() for v in spelled}


def _deliver(home: Path, day: dt.date, events: list[tuple]) -> dict[str, list[tuple]]:
    """Write the night's events as extracts dated ``day``; returns them by kind."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        named = [(kind, _customer(con, index), *rest) for kind, index, *rest in events]
    finally:
        con.close()
    stamp = f"{day}T{{:02d}}:00:00Z"
    consent = ["customer_id,email,channel,status,recorded_at,source"]
    erasures = ["request_id,customer_id,email,requested_at"]
    email = ["event_id,message_id,campaign_id,customer_id,email,event_type,event_ts,url"]
    for hour, (kind, customer, *rest) in enumerate(named):
        if kind == "consent":
            consent.append(f"{customer},,{rest[0]},{rest[1]},{stamp.format(hour)},test")
        elif kind == "erasure":
            erasures.append(f"R-{day}-{hour},{customer},,{stamp.format(hour)}")
        else:
            email.append(f"e-{day}-{hour},,c-test,{customer},,{rest[0]},{stamp.format(hour)},")
    for folder, name, lines in (
        ("privacy", "consent", consent),
        ("privacy", "erasure_requests", erasures),
        ("email", "email_events", email),
    ):
        if len(lines) > 1:
            path = home / "landing" / folder / str(day) / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
    return {
        kind: [tuple(rest) for k, *rest in named if k == kind]
        for kind in ("consent", "erasure", "suppression")
    }


def _night(run_date: str) -> None:
    """One night without the models (their scores of the base date stay)."""
    loaded = load_extracts({"run_date": run_date})
    assert loaded["files_loaded"] >= 1
    run_dbt("marts", run_date)
    run_dbt("audiences", run_date)
    staged = stage_and_audit(run_date, "property")
    publish(staged["staging_dir"])
    apply_erasures({"run_date": run_date})


def _violations(home: Path, forbidden: dict[str, set[str]]) -> list[str]:
    """Rows of any export file that carry a token forbidden for the file's channel."""
    found = []
    for folder in sorted(p for p in (home / "exports").iterdir() if not p.name.startswith(".")):
        manifest = json.loads((folder / MANIFEST).read_text())
        for entry in listed_files(manifest):
            if not entry["file"].endswith(".csv"):
                continue
            tokens = forbidden["all"] | forbidden.get(entry.get("channel") or "", set())
            if not tokens:
                continue
            text = (folder / entry["file"]).read_text().splitlines()[1:]
            cells = [set(line.replace("'", "").split(",")) for line in text]
            bad = sum(1 for row in cells if row & tokens)
            if bad:
                found.append(f"{folder.name}/{entry['file']}: {bad} rows")
    return found


def _person(con: duckdb.DuckDBPyConnection, customer_id: str) -> str | None:
    row = con.execute(
        "select person_id from marts.person_identifiers "
        "where identifier_type = 'customer_id' and identifier_value = ?",
        [customer_id],
    ).fetchone()
    return row[0] if row else None


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(nights=st.lists(_a_night, min_size=2, max_size=3))
def test_no_file_of_any_date_names_who_may_not_get_it(
    base_home: Path, tmp_path_factory: pytest.TempPathFactory, nights: list
) -> None:
    home = tmp_path_factory.mktemp("example") / "home"
    shutil.copytree(base_home, home, symlinks=True)
    env = isolated_env(home)
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in env if k.startswith("PZ_")]:
            mp.setenv(key, env[key])
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        assert load_settings().home == home
        erased: set[str] = set()
        suppressed: set[str] = set()
        latest: dict[tuple[str, str], tuple[str, set[str]]] = {}
        for number, (events, backfill) in enumerate(nights, start=1):
            day = BASE + dt.timedelta(days=number)
            con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
            try:
                for kind, index, *rest in events:
                    customer = _customer(con, index)
                    person = _person(con, customer)
                    if person is None:
                        continue
                    tokens = _tokens(con, customer)
                    if kind == "erasure":
                        erased |= tokens
                    elif kind == "suppression":
                        suppressed |= tokens
                    else:
                        # Delivered after every record of the sample: the latest per person.
                        latest[(person, rest[0])] = (rest[1], tokens)
            finally:
                con.close()
            _deliver(home, day, events)
            _night(str(BASE if backfill else day))
            forbidden: dict[str, set[str]] = {"all": erased, "email": set(suppressed)}
            for (_, channel), (status, tokens) in latest.items():
                if status == "revoked":
                    forbidden.setdefault(channel, set()).update(tokens)
            assert _violations(home, forbidden) == [], (number, events, backfill)
