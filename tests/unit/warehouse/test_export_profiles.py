"""Import-ready files per tool: headers, order, hashing, consent column, size warnings."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from warehouse.audiences import Audience
from warehouse.export import AuditError, audit_exports, stage_exports
from warehouse.export.layout import PENDING_MANIFEST

RUN_DATE = "2026-03-31"
NEWS = Audience(
    name="news",
    description="Email audience.",
    channel="email",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=("person_id", "customer_id", "email", "first_name", "last_name", "country"),
    profiles=("generic", "klaviyo", "mailchimp", "braze"),
)
TEXTS = Audience(
    name="texts",
    description="SMS audience.",
    channel="sms",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=("person_id", "customer_id", "phone", "first_name"),
    profiles=("generic", "klaviyo", "braze"),
)
SEED = Audience(
    name="seed",
    description="Ads audience.",
    channel="ads",
    priority=1,
    rule="true",
    reason="'rule'",
    columns=(
        "email_sha256",
        "phone_sha256",
        "first_name_sha256",
        "last_name_sha256",
        "country",
        "postal_code",
        "meta_phone_sha256",
        "meta_first_name_sha256",
        "meta_country_sha256",
    ),
    profiles=("generic", "google_customer_match", "meta_custom_audience"),
)
AUDIENCES = [NEWS, SEED, TEXTS]
# person_id, customer_id, email, phone, first, last, country, zip
PEOPLE = [
    ("p1", "C001", "ann@example.com", "+447700900001", "Ann", "Lee", "GB", "SW1A 1AA"),
    ("p2", "C002", "bob@example.com", "+390612345678", "Bob", "Rossi", "IT", "00184"),
]
COLUMNS = {
    "customer_id": "customer_id",
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "country": "country",
    "postal_code": "postal_code",
    "email_sha256": "sha256(lower(trim(email)))",
    "phone_sha256": "sha256(phone)",
    "first_name_sha256": "sha256(lower(first_name))",
    "last_name_sha256": "sha256(lower(last_name))",
    "meta_phone_sha256": "sha256(substr(phone, 2))",
    "meta_first_name_sha256": "sha256(lower(first_name))",
    "meta_country_sha256": "sha256(lower(country))",
}


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Two consented people in every audience, nobody in the control group."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create schema marts; create schema audiences; create schema ml;
            create table marts.dim_customers (
                person_id varchar, customer_id varchar, email varchar, phone varchar,
                first_name varchar, last_name varchar, country varchar, postal_code varchar,
                has_email_consent boolean, has_sms_consent boolean, has_ads_consent boolean
            );
            create table audiences.membership (
                run_date date, audience varchar, person_id varchar, is_control boolean,
                reason varchar
            );
            """
        )
        con.executemany(
            "insert into marts.dim_customers values (?, ?, ?, ?, ?, ?, ?, ?, true, true, true)",
            PEOPLE,
        )
        for audience in AUDIENCES:
            select = ", ".join(f"{COLUMNS[c]} as {c}" for c in audience.columns if c != "person_id")
            con.execute(
                f"create table audiences.aud_{audience.name} as select "
                f"cast('{RUN_DATE}' as date) as run_date, person_id, {select}, "
                "'rule' as reason, false as is_control from marts.dim_customers"
            )
            con.execute(
                f"insert into audiences.membership select run_date, '{audience.name}', "
                f"person_id, is_control, reason from audiences.aud_{audience.name}"
            )
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return next(csv.reader(handle))


def test_each_tool_gets_its_documented_header_and_values(warehouse: Path, tmp_path: Path) -> None:
    staging = stage_exports(warehouse, tmp_path / "exports", RUN_DATE, audiences=AUDIENCES)
    audit_exports(warehouse, staging, audiences=AUDIENCES)

    klaviyo = staging / "news.klaviyo.csv"
    assert header(klaviyo) == [
        "Email Address", "First Name", "Last Name", "Country", "Email Marketing Consent",
        "customer_id", "person_id",
    ]  # fmt: skip
    assert {r["Email Marketing Consent"] for r in rows(klaviyo)} == {"Subscribed"}
    assert header(staging / "texts.klaviyo.csv")[0] == "Phone Number"
    assert header(staging / "news.mailchimp.csv")[:4] == [
        "Email Address", "First Name", "Last Name", "Country"
    ]  # fmt: skip
    braze = rows(staging / "news.braze.csv")
    assert header(staging / "news.braze.csv") == [
        "external_id", "email", "first_name", "last_name", "country", "email_subscribe",
        "person_id",
    ]  # fmt: skip
    assert {(r["external_id"], r["person_id"]) for r in braze} == {("C001", "p1"), ("C002", "p2")}
    assert {r["email_subscribe"] for r in braze} == {"opted_in"}

    google = rows(staging / "seed.google_customer_match.csv")
    assert header(staging / "seed.google_customer_match.csv") == [
        "Email", "Phone", "First Name", "Last Name", "Country", "Zip"
    ]  # fmt: skip
    assert {r["Phone"] for r in google} == {sha("+447700900001"), sha("+390612345678")}
    assert {(r["Country"], r["Zip"]) for r in google} == {("GB", "SW1A 1AA"), ("IT", "00184")}
    meta = rows(staging / "seed.meta_custom_audience.csv")
    assert header(staging / "seed.meta_custom_audience.csv") == ["email", "phone", "fn", "country"]
    # Meta hashes the phone as digits only, without the +, and the country lower-cased.
    assert {r["phone"] for r in meta} == {sha("447700900001"), sha("390612345678")}
    assert {r["country"] for r in meta} == {sha("gb"), sha("it")}


def test_a_list_under_the_platform_minimum_is_flagged_in_the_manifest(
    warehouse: Path, tmp_path: Path
) -> None:
    """Regression: nothing warned that a small list is under Meta's and Google's minimum."""
    staging = stage_exports(warehouse, tmp_path / "exports", RUN_DATE, audiences=AUDIENCES)
    files = {f["file"]: f for f in json.loads((staging / PENDING_MANIFEST).read_text())["files"]}
    assert (
        "2 rows, below Google Ads Customer Match's minimum of 1,000"
        in (files["seed.google_customer_match.csv"]["warning"])
    )
    assert "minimum of 100" in files["seed.meta_custom_audience.csv"]["warning"]
    assert files["seed.meta_custom_audience.csv"]["profile"] == "meta_custom_audience"
    assert "warning" not in files["news.klaviyo.csv"] and "warning" not in files["seed.csv"]


def test_the_audit_checks_every_profile_file(warehouse: Path, tmp_path: Path) -> None:
    """A person without consent planted in the audience fails each of its tool files."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.dim_customers set has_email_consent = false where person_id = 'p2'"
        )
    staging = stage_exports(warehouse, tmp_path / "exports", RUN_DATE, audiences=AUDIENCES)
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, audiences=AUDIENCES)
    flagged = {f.split(":")[0] for f in failed.value.findings if "without email consent" in f}
    assert flagged == {"news.parquet", "news.csv", "news.klaviyo.csv", "news.mailchimp.csv",
                       "news.braze.csv"}  # fmt: skip


def test_the_audit_refuses_a_meta_file_hashed_with_the_plus(
    warehouse: Path, tmp_path: Path
) -> None:
    """A phone hashed the Google way in Meta's file matches nobody: the audit says so."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update audiences.aud_seed set email_sha256 = null, meta_phone_sha256 = phone_sha256"
        )
    staging = stage_exports(warehouse, tmp_path / "exports", RUN_DATE, audiences=AUDIENCES)
    with pytest.raises(AuditError) as failed:
        audit_exports(warehouse, staging, audiences=AUDIENCES)
    assert any(
        f.startswith("seed.meta_custom_audience.csv: 2 rows match no person")
        for f in failed.value.findings
    ), failed.value.findings
    assert not any(f.startswith("seed.google_customer_match.csv") for f in failed.value.findings)
