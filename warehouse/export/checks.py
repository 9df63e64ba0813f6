"""The audit's checks of one written file against the warehouse.

Each check returns findings (one line each) instead of raising, so one audit reports
everything wrong with a night at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from warehouse.audiences import Audience
from warehouse.export.layout import ExportFile
from warehouse.export.query import export_query
from warehouse.export.safe_csv import formula_cells, text_columns
from warehouse.export.sql import literal, quote, read_relation

#: A value that looks like a phone number: optional +, then 7 or more digits with the
#: usual separators. A 64-character hex digest never matches (it has letters or is far
#: too long once separators are allowed only between digits).
PHONE_LIKE = r"^\+?[0-9][0-9 ().-]{5,18}[0-9]$"
SHA256_HEX = r"^[0-9a-f]{64}$"
ERASURE_REQUESTS = "staging.stg_privacy__erasure_requests"
EMAIL_SUPPRESSIONS = "marts.email_suppressions"


def audit_file(
    con: duckdb.DuckDBPyConnection,
    file: ExportFile,
    path: Path,
    expected_rows: int,
    erasure: bool,
    suppression: bool = False,
) -> list[str]:
    """Every check on one file: presence, header, rows, formulas, consent, holdout, erasure.

    Email files are also checked against ``marts.email_suppressions`` when
    ``suppression`` is set.
    """
    name = path.name
    if not path.is_file():
        return [f"{name}: missing"]
    relation = read_relation(path)
    header = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
    expected = file.columns
    if header != expected:
        return [f"{name}: columns {header} differ from the declared {expected}"]
    findings: list[str] = []
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    if rows != expected_rows:
        findings.append(f"{name}: {rows} rows, the audience table has {expected_rows} treated")
    if path.suffix == ".csv":
        for column in text_columns(con, export_query(file)):
            formulas = formula_cells(con, relation, column)
            if formulas:
                findings.append(
                    f"{name}: {formulas} cells in {column} would run as spreadsheet formulas"
                )
    if file.audience.channel == "ads":
        return findings + _audit_ads_file(con, file, name, relation, erasure)
    person = file.header_of("person_id")
    if person is None:
        return findings + [f"{name}: no person_id column, consent and erasure cannot be checked"]
    findings += _audit_person_file(con, file, name, relation, erasure)
    if suppression and file.audience.channel == "email":
        findings += _audit_suppressions(con, name, relation, person)
    return findings


def _audit_suppressions(
    con: duckdb.DuckDBPyConnection, name: str, relation: str, person: str = "person_id"
) -> list[str]:
    """People an email file must not carry: suppressed by a bounce, complaint or unsubscribe."""
    suppressed = con.execute(
        f"select count(*) from {relation} f "
        f"where cast(f.{quote(person)} as varchar) in (select person_id from {EMAIL_SUPPRESSIONS})"
    ).fetchone()[0]
    if suppressed:
        return [f"{name}: {suppressed} rows of people suppressed from email"]
    return []


def _audit_person_file(
    con: duckdb.DuckDBPyConnection,
    file: ExportFile,
    name: str,
    relation: str,
    erasure: bool,
) -> list[str]:
    """Checks of a file keyed by person_id: consent, control group, erasure."""
    audience = file.audience
    person = f"cast(f.{quote(file.header_of('person_id') or 'person_id')} as varchar)"
    findings: list[str] = []
    consent = f"has_{audience.channel}_consent"
    no_consent = con.execute(
        f"select count(*) from {relation} f left join marts.dim_customers d "
        f"on d.person_id = {person} "
        f"where d.person_id is null or not coalesce(d.{consent}, false)"
    ).fetchone()[0]
    if no_consent:
        findings.append(
            f"{name}: {no_consent} rows without {audience.channel} consent "
            "or not in marts.dim_customers"
        )
    control = con.execute(
        f"select count(*) from {relation} f join audiences.membership m "
        f"on m.person_id = {person} "
        f"and m.audience = {literal(audience.name)} and m.is_control"
    ).fetchone()[0]
    if control:
        findings.append(f"{name}: {control} control-group members exported")
    if erasure:
        email = file.header_of("email")
        by_file_email = (
            f" or lower(trim(cast(f.{quote(email)} as varchar))) in "
            f"(select email from {ERASURE_REQUESTS})"
            if email
            else ""
        )
        erased = con.execute(
            f"select count(*) from {relation} f "
            f"left join marts.dim_customers d on d.person_id = {person} "
            f"where coalesce(d.customer_id in (select customer_id from {ERASURE_REQUESTS}), "
            "false) "
            f"or coalesce(lower(trim(d.email)) in (select email from {ERASURE_REQUESTS}), false)"
            + by_file_email
        ).fetchone()[0]
        if erased:
            findings.append(f"{name}: {erased} rows of people with an erasure request")
    return findings


#: Hashed identifier columns -> how the consented person's value is hashed, for matching.
HASH_MATCHES = {
    "email_sha256": ("sha256(lower(trim(email)))", "email"),
    "phone_sha256": ("sha256(phone)", "phone"),
    "meta_phone_sha256": ("sha256(substr(phone, 2))", "phone"),
}


def _audit_ads_file(
    con: duckdb.DuckDBPyConnection,
    file: ExportFile,
    name: str,
    relation: str,
    erasure: bool,
) -> list[str]:
    """Checks of a hashed ads file: no plaintext PII, digests only, consent, erasure."""
    findings: list[str] = []
    consent = f"has_{file.audience.channel}_consent"
    for field in file.fields:
        column = f"cast({quote(field.header)} as varchar)"
        plain = con.execute(
            f"select count(*) from {relation} where contains({column}, '@') "
            f"or regexp_full_match(trim({column}), {literal(PHONE_LIKE)})"
        ).fetchone()[0]
        if plain:
            findings.append(f"{name}: {plain} plaintext email or phone values in {field.header}")
        if field.column and field.column.endswith("_sha256"):
            bad = con.execute(
                f"select count(*) from {relation} where {column} is not null "
                f"and not regexp_full_match({column}, {literal(SHA256_HEX)})"
            ).fetchone()[0]
            if bad:
                findings.append(
                    f"{name}: {bad} values in {field.header} are not SHA-256 hex digests"
                )
    # Each match is a hash join against the consented people's hashed identifiers.
    matches = []
    for column, (hashed, source) in HASH_MATCHES.items():
        header = file.header_of(column)
        if header:
            matches.append(
                f"f.{quote(header)} in (select {hashed} from marts.dim_customers "
                f"where {consent} and {source} is not null)"
            )
    matched = " or ".join(f"coalesce({m}, false)" for m in matches) or "false"
    unmatched = con.execute(f"select count(*) from {relation} f where not ({matched})")
    unmatched = unmatched.fetchone()[0]
    if unmatched:
        findings.append(
            f"{name}: {unmatched} rows match no person with {file.audience.channel} consent"
        )
    email = file.header_of("email_sha256")
    if erasure and email:
        erased = con.execute(
            f"select count(*) from {relation} f where f.{quote(email)} in ("
            f"select sha256(email) from {ERASURE_REQUESTS} where email is not null)"
        ).fetchone()[0]
        if erased:
            findings.append(f"{name}: {erased} rows of people with an erasure request")
    return findings


def audit_frequency_cap(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    audiences: Iterable[Audience],
    cap: int,
) -> list[str]:
    """People exported in more email audiences than the cap allows."""
    email_files = [
        read_relation(staging / f"{a.name}.parquet")
        for a in audiences
        if a.channel == "email" and (staging / f"{a.name}.parquet").is_file()
    ]
    if not email_files:
        return []
    union = " union all ".join(
        f"select cast(person_id as varchar) as person_id from {r}" for r in email_files
    )
    over = con.execute(
        f"select count(*) from (select person_id from ({union}) group by person_id "
        f"having count(*) > {int(cap)})"
    ).fetchone()[0]
    return [f"{over} people are in more than {cap} email audiences"] if over else []
