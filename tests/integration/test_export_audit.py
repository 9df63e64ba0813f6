"""The export audit on real dbt-built audiences, and through Airflow when it fails.

Builds the audience models over the shared sample warehouse (ml tables empty, as on a
first night), publishes good exports, then plants a person without consent in an
audience table and runs the DAG's export tasks with `airflow dags test`: the run must
fail, nothing may be published and the previous exports must stay byte for byte.
"""

from __future__ import annotations

import csv
import shutil
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipeline.export import publish, stage_and_audit
from tests.integration.conftest import END, dbt
from tools.airflow_local import run_dag
from warehouse.audiences import load_audiences
from warehouse.export import AuditError, audit_exports, stage_exports
from warehouse.export.layout import export_files, merges_files
from warehouse.settings import Settings, load_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DATE = END.isoformat()
UPSTREAM_OF_EXPORTS = (
    "load_extracts|dbt_build_marts|init_mlflow|segments|churn|recommendations|dbt_build_audiences"
)


@pytest.fixture(scope="module")
def settings(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A PZ_HOME whose warehouse has the audiences built and its exports published."""
    home = tmp_path_factory.mktemp("pz_audit")
    settings = load_settings({"PZ_HOME": str(home)})
    shutil.copyfile(built_warehouse, settings.duckdb_path)
    target = ["--target-path", str(settings.dbt_target_dir)]
    dbt(["build", "--select", "path:models/audiences", *target], settings.duckdb_path, END)
    staged = stage_and_audit(RUN_DATE, "2026-07-01T03:00:00+00:00", settings)
    publish(staged["staging_dir"], settings)
    return settings


def published(settings: Settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (settings.export_dir / RUN_DATE).iterdir()}


def test_members_have_consent_and_no_erasure_request(settings: Settings) -> None:
    """Consent fails closed and erased people never reach an audience (real dbt output)."""
    manifest = settings.dbt_target_dir / "manifest.json"
    channels = {a.name: a.channel for a in load_audiences(manifest)}
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        for audience, channel in channels.items():
            bad = con.execute(
                f"""
                select count(*) from audiences.membership m
                left join marts.dim_customers d using (person_id)
                where m.audience = ? and not coalesce(d.has_{channel}_consent, false)
                """,
                [audience],
            ).fetchone()[0]
            assert bad == 0, f"{audience}: {bad} members without {channel} consent"
        erased = con.execute(
            """
            select count(*) from audiences.membership m
            join marts.dim_customers d using (person_id)
            join staging.stg_privacy__erasure_requests e
                on e.customer_id = d.customer_id or e.email = d.email
            """
        ).fetchone()[0]
        assert erased == 0
        share = con.execute("select avg(is_control::int) from audiences.membership").fetchone()[0]
        assert share is None or 0.03 < share < 0.2


def test_the_export_command_line_audits_a_real_warehouse(settings: Settings) -> None:
    """``python -m warehouse.export`` stages and audits without Airflow; a bad date is refused."""
    import os
    import sys

    env = {**os.environ, "PZ_HOME": str(settings.home)}
    command = [sys.executable, "-m", "warehouse.export"]
    done = subprocess.run(
        [*command, "--run-date", RUN_DATE, "--no-publish"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    staged = Path(done.stdout.strip().removeprefix("audited, not published: "))
    assert staged.parent == settings.export_dir and staged.name.startswith(f".tmp-{RUN_DATE}-")
    bad = subprocess.run(
        [*command, "--run-date", "2026/03/31"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "must be YYYY-MM-DD" in bad.stderr
    other = subprocess.run(
        [*command, "--run-date", "2020-01-01"], env=env, capture_output=True, text=True
    )
    assert other.returncode == 1 and "build them for this date first" in other.stderr
    shutil.rmtree(staged)


def test_spam_reporters_are_in_no_treated_email_audience(settings: Settings) -> None:
    """Regression: people who reported spam, bounced or unsubscribed were still emailed.

    On the demo-like sample, people whose customer id reported spam are in no email
    audience (treated or control) and in no published email file, and every person in
    marts.email_suppressions is out of every email audience.
    """
    manifest = settings.dbt_target_dir / "manifest.json"
    email_audiences = [a.name for a in load_audiences(manifest) if a.channel == "email"]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        reporters = con.execute(
            """
            select distinct i.person_id
            from raw.email__email_events e
            join marts.person_identifiers i
                on i.identifier_type = 'customer_id' and i.identifier_value = e.customer_id
            where e.event_type = 'spam_report'
            """
        ).fetchall()
        assert len(reporters) >= 3, "the sample must hold spam complaints"
        placeholders = ", ".join("?" * len(email_audiences))
        in_email = con.execute(
            f"""
            select count(*) from audiences.membership m
            where m.audience in ({placeholders})
              and (m.person_id in (select person_id from marts.email_suppressions)
                   or m.person_id in (
                       select i.person_id
                       from raw.email__email_events e
                       join marts.person_identifiers i
                           on i.identifier_type = 'customer_id'
                           and i.identifier_value = e.customer_id
                       where e.event_type = 'spam_report'))
            """,
            email_audiences,
        ).fetchone()[0]
        assert in_email == 0
        reasons = dict(
            con.execute(
                "select reason, count(*) from marts.email_suppressions group by reason"
            ).fetchall()
        )
        assert set(reasons) == {"hard_bounce", "spam_report", "unsubscribe"}
    folder = settings.export_dir / RUN_DATE
    suppressed = {r[0] for r in reporters}
    for name in email_audiences:
        with (folder / f"{name}.csv").open(newline="") as handle:
            exported = {r["person_id"] for r in csv.DictReader(handle)}
        assert not exported & suppressed, name


def test_audit_fails_an_email_file_with_a_suppressed_person(settings: Settings) -> None:
    """A treated email member who is (or becomes) suppressed fails the audit."""
    audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
    with duckdb.connect(str(settings.duckdb_path)) as con:
        person = con.execute(
            "select person_id from audiences.aud_interested_shoppers "
            "where not is_control order by person_id limit 1"
        ).fetchone()[0]
        con.execute(
            "insert into marts.email_suppressions values (?, 'spam_report', '2026-06-29')",
            [person],
        )
    try:
        staged = stage_exports(
            settings.duckdb_path, settings.export_dir, RUN_DATE, audiences=audiences
        )
        with pytest.raises(AuditError) as failed:
            audit_exports(settings.duckdb_path, staged, email_frequency_cap=2, audiences=audiences)
        assert "interested_shoppers.csv: 1 rows of people suppressed from email" in (
            failed.value.findings
        )
        assert "interested_shoppers.parquet: 1 rows of people suppressed from email" in (
            failed.value.findings
        )
        shutil.rmtree(staged)
    finally:
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute(
                "delete from marts.email_suppressions where person_id = ? and suppressed_at = ?",
                [person, "2026-06-29"],
            )


def test_holdout_is_deterministic(settings: Settings) -> None:
    """The control flag is md5(person_id|audience) below holdout_share, nothing else."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        wrong = con.execute(
            """
            select count(*) from audiences.membership
            where is_control <> (
                cast(('0x' || substr(md5(person_id || '|' || audience), 1, 8)) as bigint)
                / 4294967296.0 < 0.10)
            """
        ).fetchone()[0]
    assert wrong == 0


def test_published_folder_is_a_private_version(settings: Settings) -> None:
    """The date is a link to an immutable version; files 0600 and folders 0700."""
    link = settings.export_dir / RUN_DATE
    assert link.is_symlink()
    version = link.resolve()
    assert version.parent == settings.export_dir / ".versions"
    assert stat.S_IMODE(version.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.export_dir / ".versions").stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in version.iterdir()}
    audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
    # the audience files, the merge ledger, the manifest and the run report
    assert len(modes) == sum(len(export_files(a)) for a in audiences) + len(merges_files()) + 2
    assert set(modes.values()) == {0o600}


def test_formula_names_are_neutralised_in_real_exports(settings: Settings) -> None:
    """A first name that spreadsheets run as a formula leaves the real export as text."""
    payload = '=HYPERLINK("http://x","y")'
    with duckdb.connect(str(settings.duckdb_path)) as con:
        row = con.execute(
            "select person_id, first_name from audiences.aud_interested_shoppers "
            "where not is_control order by person_id limit 1"
        ).fetchone()
        assert row is not None, "no treated interested shopper to plant a name on"
        con.execute(
            "update audiences.aud_interested_shoppers set first_name = ? where person_id = ?",
            [payload, row[0]],
        )
    try:
        audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
        staged = stage_exports(
            settings.duckdb_path, settings.export_dir, RUN_DATE, audiences=audiences
        )
        audit_exports(settings.duckdb_path, staged, email_frequency_cap=2, audiences=audiences)
        with (staged / "interested_shoppers.csv").open(newline="") as handle:
            names = {r["person_id"]: r["first_name"] for r in csv.DictReader(handle)}
        assert names[row[0]] == "'" + payload
        shutil.rmtree(staged)
    finally:
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute(
                "update audiences.aud_interested_shoppers set first_name = ? where person_id = ?",
                [row[1], row[0]],
            )


def test_failed_audit_in_the_dag_publishes_nothing(settings: Settings) -> None:
    before = published(settings)
    assert before, "the good run published nothing"
    with duckdb.connect(str(settings.duckdb_path)) as con:
        person = con.execute(
            "select person_id, email, first_name, preferred_category from marts.dim_customers "
            "where not has_email_consent and email is not null order by person_id limit 1"
        ).fetchone()
        assert person is not None
        con.execute(
            "insert into audiences.aud_interested_shoppers "
            "(run_date, person_id, email, first_name, preferred_category, reason, is_control) "
            "values (?, ?, ?, ?, ?, 'planted', false)",
            [RUN_DATE, *person],
        )
    with pytest.raises(subprocess.CalledProcessError):
        run_dag(RUN_DATE, settings, mark_success_pattern=UPSTREAM_OF_EXPORTS)
    assert published(settings) == before
    assert [p.name for p in settings.export_dir.iterdir() if not p.name.startswith(".")] == [
        RUN_DATE
    ]
    assert list(settings.export_dir.glob(f".tmp-{RUN_DATE}-*")), "staged files kept for a look"


def _sha(value: str | None) -> str:
    import hashlib

    return "" if not value else hashlib.sha256(value.encode()).hexdigest()


def test_ads_files_are_hashed_as_google_and_meta_document(settings: Settings) -> None:
    """Regression: Meta got phones hashed with the + (0 of 110 matched) and Google no names.

    The expected digests are computed here with hashlib from ``marts.dim_customers``,
    following each platform's rules, independently of the dbt SQL that wrote the files.
    """
    import re

    folder = settings.export_dir / RUN_DATE
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        people = con.execute(
            """
            select d.email, d.phone, d.first_name, d.last_name, d.city, d.country,
                d.postal_code
            from audiences.aud_vip v join marts.dim_customers d using (person_id)
            where not v.is_control
            """
        ).fetchall()
    assert people, "the sample has VIPs"
    google = {
        (
            _sha(email and email.strip().lower()),
            _sha(phone),
            _sha(first and first.replace(" ", "").lower()),
            _sha(last and last.replace(" ", "").lower()),
            country or "",
            postal or "",
        )
        for email, phone, first, last, _, country, postal in people
    }
    with (folder / "vip.google_customer_match.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert {tuple(r) for r in rows[1:]} == google

    def letters(value: str | None) -> str | None:
        return value and re.sub(r"[^\w]|[\d_]", "", value.lower())

    meta = {
        (
            _sha(email and email.strip().lower()),
            _sha(phone and phone.removeprefix("+")),
            _sha(letters(first)),
            _sha(letters(last)),
            _sha(letters(city)),
            _sha(country and country.lower()),
        )
        for email, phone, first, last, city, country, _ in people
    }
    with (folder / "vip.meta_custom_audience.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["email", "phone", "fn", "ln", "zip", "ct", "st", "country"]
    got = {(r["email"], r["phone"], r["fn"], r["ln"], r["ct"], r["country"]) for r in rows}
    assert got == meta


def test_email_tools_get_their_key_first_and_the_shops_customer_id(settings: Settings) -> None:
    """Klaviyo's first column is the email, Braze's external_id the shop's customer id."""
    folder = settings.export_dir / RUN_DATE
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        ids = dict(
            con.execute(
                "select person_id, customer_id from audiences.aud_new_customer_onboarding "
                "where not is_control"
            ).fetchall()
        )
    assert ids
    with (folder / "new_customer_onboarding.klaviyo.csv").open(newline="") as handle:
        klaviyo = list(csv.DictReader(handle))
    assert list(klaviyo[0])[0] == "Email Address"
    assert {r["person_id"]: r["customer_id"] for r in klaviyo} == ids
    with (folder / "new_customer_onboarding.braze.csv").open(newline="") as handle:
        braze = list(csv.DictReader(handle))
    assert list(braze[0])[0] == "external_id"
    assert {r["person_id"]: r["external_id"] for r in braze} == ids
    assert {r["email_subscribe"] for r in braze} == {"opted_in"}
