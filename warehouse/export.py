"""Write, audit and publish the audience files of one run date.

The exports contract (DESIGN.md, "Exports"): ``$PZ_EXPORT_DIR/<run_date>/`` holds
``<audience>.parquet`` and ``<audience>.csv`` for every declared audience, the treated
members only (the holdout stays in ``audiences.membership``), and ``manifest.json``.
Three steps, so a bad night never reaches a marketing tool:

1. :func:`stage_exports` writes every file with DuckDB ``COPY`` into a hidden folder
   ``<export_dir>/.tmp-<run_date>-<random>/``, rows in a stable order, plus the
   manifest as a pending file.
2. :func:`audit_exports` reads the written files back and checks them against the
   warehouse: row counts match the audience and membership tables, every exported
   person has consent for the audience's channel and is in ``marts.dim_customers``, no
   one with an erasure request in staging is exported, no control-group member is
   exported, the email frequency cap holds, ads files carry no plaintext PII, and every
   file has the declared columns. Any finding raises :class:`AuditError`; the staged
   folder stays hidden for inspection and nothing is published.
3. :func:`publish_exports` moves the staged folder to ``<export_dir>/<run_date>`` in one
   rename (an existing folder for the date is renamed aside first and deleted after)
   and writes ``manifest.json`` last, so a reader that sees the manifest sees complete
   files.

Re-running a date gives byte-identical audience files; only the manifest's
``generated_at`` (taken from the Airflow run, not from the clock here) changes.

Ads files follow Google Customer Match's hashed customer-list format: header ``Email``
holds the lowercase hex SHA-256 of the email trimmed and lower-cased, header ``Phone``
the SHA-256 of the phone in E.164 (``+`` and country code, digits only, e.g.
``+447700900123``). Meta's customer-list ``email`` key is normalized the same way, so
its hash matches there as well; Meta hashes phones as digits without the ``+``, so
for Meta upload the ``Email`` column only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from warehouse.audiences import Audience, load_audiences
from warehouse.settings import load_settings

log = logging.getLogger(__name__)

#: Warehouse column -> header of the ads file (Google Customer Match hashed upload).
ADS_FILE_HEADERS = {"email_sha256": "Email", "phone_sha256": "Phone"}
FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
PENDING_MANIFEST = ".manifest.pending.json"
STAGING_PREFIX = ".tmp-"
#: A value that looks like a phone number: optional +, then 7 or more digits with the
#: usual separators. A 64-character hex digest never matches (it has letters or is far
#: too long once separators are allowed only between digits).
PHONE_LIKE = r"^\+?[0-9][0-9 ().-]{5,18}[0-9]$"
SHA256_HEX = r"^[0-9a-f]{64}$"
ML_TABLES = ("customer_segments", "churn_scores", "recommendations")


class AuditError(RuntimeError):
    """The staged exports failed the audit; nothing was published.

    Attributes:
        findings: One line per failed check.
        staging_dir: The staged folder, kept for inspection.
    """

    def __init__(self, findings: Sequence[str], staging_dir: Path) -> None:
        self.findings = list(findings)
        self.staging_dir = staging_dir
        lines = "\n".join(f"  - {f}" for f in self.findings)
        super().__init__(
            f"export audit failed, nothing published (staged files kept in {staging_dir}):\n"
            + lines
        )


def normalize_email(email: str | None) -> str | None:
    """Email as hashed for ad platforms: surrounding whitespace removed, lower-cased."""
    if email is None:
        return None
    value = email.strip().lower()
    return value or None


def normalize_phone_e164(phone: str | None) -> str | None:
    """Phone in E.164 as hashed for ad platforms, or None when it is not international.

    Keeps the digits of a number written with a leading ``+`` (or ``00``) and puts one
    ``+`` in front; a national number without a country code cannot be made E.164
    here and gives None (the warehouse already resolved those with the country).
    """
    if phone is None:
        return None
    value = phone.strip()
    digits = re.sub(r"[^0-9]", "", value)
    if value.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    else:
        return None
    if not 7 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return "+" + digits


def sha256_hex(value: str | None) -> str | None:
    """Lowercase hex SHA-256 of the UTF-8 value (None stays None)."""
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def hashed_email(email: str | None) -> str | None:
    """The ``Email`` value of an ads file for this email."""
    return sha256_hex(normalize_email(email))


def hashed_phone(phone: str | None) -> str | None:
    """The ``Phone`` value of an ads file for this phone."""
    return sha256_hex(normalize_phone_e164(phone))


def file_columns(audience: Audience) -> list[str]:
    """The header of the audience's export file, in order."""
    if audience.channel == "ads":
        return [ADS_FILE_HEADERS.get(c, c) for c in audience.columns]
    return list(audience.columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_run_date(run_date: str) -> str:
    return dt.date.fromisoformat(run_date).isoformat()


def _connect(duckdb_path: Path | str) -> duckdb.DuckDBPyConnection:
    config = {"memory_limit": load_settings().duckdb_memory_limit}
    con = duckdb.connect(str(duckdb_path), read_only=True, config=config)
    # One thread and insertion order kept: the same rows give the same bytes.
    con.execute("set threads = 1; set preserve_insertion_order = true; set timezone = 'UTC'")
    return con


def _export_query(audience: Audience) -> str:
    headers = file_columns(audience)
    select = ", ".join(
        f"{_quote(c)} as {_quote(h)}" if c != h else _quote(c)
        for c, h in zip(audience.columns, headers, strict=True)
    )
    order = ", ".join(f"{_quote(h)} nulls last" for h in headers)
    return (
        f"select {select} from audiences.{_quote(audience.model)} "
        f"where not is_control order by {order}"
    )


def _model_versions(con: duckdb.DuckDBPyConnection, run_date: str) -> dict[str, Any]:
    """Model versions recorded in the ml tables for the run date (None where absent)."""
    versions: dict[str, Any] = {}
    for table in ML_TABLES:
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'ml' and table_name = ?",
                [table],
            ).fetchall()
        }
        if "model_version" not in cols:
            versions[table] = None
            continue
        rows = con.execute(
            f"select distinct model_version from ml.{table} "
            "where run_date = ? and model_version is not null order by 1",
            [run_date],
        ).fetchall()
        versions[table] = [r[0] for r in rows]
    return versions


def _clear_stale_staging(export_dir: Path, run_date: str) -> None:
    for stale in export_dir.glob(f"{STAGING_PREFIX}{run_date}-*"):
        if stale.is_dir():
            log.info("removing staged exports of an earlier attempt: %s", stale)
            shutil.rmtree(stale)


def stage_exports(
    duckdb_path: Path | str,
    export_dir: Path | str,
    run_date: str,
    *,
    generated_at: str | None = None,
    audiences: Sequence[Audience] | None = None,
) -> Path:
    """Write every audience's files and the pending manifest into a hidden folder.

    Args:
        duckdb_path: The warehouse file (opened read-only).
        export_dir: ``PZ_EXPORT_DIR``.
        run_date: The run date, ``YYYY-MM-DD``.
        generated_at: When the run that produced the files started (ISO 8601); it goes
            into the manifest only.
        audiences: The audiences to export (default: every declared one).

    Returns:
        The staged folder ``<export_dir>/.tmp-<run_date>-<random>``.
    """
    run_date = _check_run_date(run_date)
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(export_dir, run_date)
    audiences = list(audiences) if audiences is not None else load_audiences()
    staging = export_dir / f"{STAGING_PREFIX}{run_date}-{secrets.token_hex(4)}"
    staging.mkdir()
    files: list[dict[str, Any]] = []
    with _connect(duckdb_path) as con:
        for audience in audiences:
            query = _export_query(audience)
            for fmt in FORMATS:
                path = staging / f"{audience.name}.{fmt}"
                options = (
                    "format parquet, compression zstd"
                    if fmt == "parquet"
                    else ("format csv, header true")
                )
                con.execute(f"copy ({query}) to {_literal(str(path))} ({options})")
                rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
                files.append(
                    {
                        "file": path.name,
                        "audience": audience.name,
                        "channel": audience.channel,
                        "format": fmt,
                        "rows": rows,
                        "sha256": _sha256_file(path),
                        "columns": file_columns(audience),
                    }
                )
        versions = _model_versions(con, run_date)
    manifest = {
        "run_date": run_date,
        "generated_at": generated_at,
        "files": files,
        "model_versions": versions,
    }
    (staging / PENDING_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log.info("staged %d files for %s in %s", len(files), run_date, staging)
    return staging


def _read(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet({_literal(str(path))})"
    return f"read_csv({_literal(str(path))}, header = true, all_varchar = true)"


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _audit_file(
    con: duckdb.DuckDBPyConnection,
    audience: Audience,
    path: Path,
    expected_rows: int,
    erasure: bool,
) -> list[str]:
    """Every check on one file; returns the findings."""
    findings: list[str] = []
    name = path.name
    if not path.is_file():
        return [f"{name}: missing"]
    relation = _read(path)
    header = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
    expected = file_columns(audience)
    if header != expected:
        return [f"{name}: columns {header} differ from the declared {expected}"]
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    if rows != expected_rows:
        findings.append(f"{name}: {rows} rows, the audience table has {expected_rows} treated")
    consent = f"has_{audience.channel}_consent"
    if audience.channel == "ads":
        findings += _audit_ads_file(con, audience, path, relation, consent, erasure)
        return findings
    no_consent = con.execute(
        f"select count(*) from {relation} f left join marts.dim_customers d "
        f"on d.person_id = cast(f.person_id as varchar) "
        f"where d.person_id is null or not coalesce(d.{consent}, false)"
    ).fetchone()[0]
    if no_consent:
        findings.append(
            f"{name}: {no_consent} rows without {audience.channel} consent "
            "or not in marts.dim_customers"
        )
    control = con.execute(
        f"select count(*) from {relation} f join audiences.membership m "
        f"on m.person_id = cast(f.person_id as varchar) "
        f"and m.audience = {_literal(audience.name)} and m.is_control"
    ).fetchone()[0]
    if control:
        findings.append(f"{name}: {control} control-group members exported")
    if erasure:
        requests = "staging.stg_privacy__erasure_requests"
        by_file_email = (
            f" or lower(trim(cast(f.email as varchar))) in (select email from {requests})"
            if "email" in expected
            else ""
        )
        erased = con.execute(
            f"select count(*) from {relation} f "
            "left join marts.dim_customers d on d.person_id = cast(f.person_id as varchar) "
            f"where coalesce(d.customer_id in (select customer_id from {requests}), false) "
            f"or coalesce(lower(trim(d.email)) in (select email from {requests}), false)"
            + by_file_email
        ).fetchone()[0]
        if erased:
            findings.append(f"{name}: {erased} rows of people with an erasure request")
    return findings


def _audit_ads_file(
    con: duckdb.DuckDBPyConnection,
    audience: Audience,
    path: Path,
    relation: str,
    consent: str,
    erasure: bool,
) -> list[str]:
    findings: list[str] = []
    name = path.name
    for header in file_columns(audience):
        column = f"cast({_quote(header)} as varchar)"
        plain = con.execute(
            f"select count(*) from {relation} where contains({column}, '@') "
            f"or regexp_full_match(trim({column}), {_literal(PHONE_LIKE)})"
        ).fetchone()[0]
        if plain:
            findings.append(f"{name}: {plain} plaintext email or phone values in {header}")
        if header in ADS_FILE_HEADERS.values():
            bad = con.execute(
                f"select count(*) from {relation} where {column} is not null "
                f"and not regexp_full_match({column}, {_literal(SHA256_HEX)})"
            ).fetchone()[0]
            if bad:
                findings.append(f"{name}: {bad} values in {header} are not SHA-256 hex digests")
    headers = set(file_columns(audience))
    # Each match is a hash join against the consented people's hashed identifiers.
    matches = []
    if "Email" in headers:
        matches.append(
            "f.Email in (select sha256(lower(trim(email))) from marts.dim_customers "
            f"where {consent} and email is not null)"
        )
    if "Phone" in headers:
        matches.append(
            "f.Phone in (select sha256(phone) from marts.dim_customers "
            f"where {consent} and phone is not null)"
        )
    matched = " or ".join(f"coalesce({m}, false)" for m in matches) or "false"
    unmatched = con.execute(f"select count(*) from {relation} f where not ({matched})")
    unmatched = unmatched.fetchone()[0]
    if unmatched:
        findings.append(f"{name}: {unmatched} rows match no person with {audience.channel} consent")
    if erasure and "Email" in headers:
        erased = con.execute(
            f"select count(*) from {relation} f where f.Email in ("
            "select sha256(email) from staging.stg_privacy__erasure_requests "
            "where email is not null)"
        ).fetchone()[0]
        if erased:
            findings.append(f"{name}: {erased} rows of people with an erasure request")
    return findings


def audit_exports(
    duckdb_path: Path | str,
    staging_dir: Path | str,
    *,
    email_frequency_cap: int | None = None,
    audiences: Sequence[Audience] | None = None,
) -> dict[str, Any]:
    """Check the staged files against the warehouse; raise if anything is wrong.

    Args:
        duckdb_path: The warehouse file (opened read-only).
        staging_dir: The folder :func:`stage_exports` returned.
        email_frequency_cap: Most email audiences one person may be exported in
            (None: not checked).
        audiences: The audiences expected (default: every declared one).

    Returns:
        A summary: run_date and the treated rows of every audience.

    Raises:
        AuditError: With every finding, when any check fails.
    """
    staging = Path(staging_dir)
    audiences = list(audiences) if audiences is not None else load_audiences()
    manifest = json.loads((staging / PENDING_MANIFEST).read_text())
    run_date = manifest["run_date"]
    findings: list[str] = []
    expected_files = {f"{a.name}.{fmt}" for a in audiences for fmt in FORMATS}
    present = {p.name for p in staging.iterdir() if p.name != PENDING_MANIFEST}
    if present - expected_files:
        findings.append(f"unexpected files: {sorted(present - expected_files)}")
    listed = {f["file"]: f for f in manifest["files"]}
    rows_by_audience: dict[str, int] = {}
    with _connect(duckdb_path) as con:
        erasure = _table_exists(con, "staging", "stg_privacy__erasure_requests")
        if not erasure:
            log.warning("staging.stg_privacy__erasure_requests is missing: erasure not checked")
        for audience in audiences:
            table = f"audiences.{_quote(audience.model)}"
            treated = con.execute(f"select count(*) from {table} where not is_control").fetchone()[
                0
            ]
            in_membership = con.execute(
                "select count(*) from audiences.membership "
                "where audience = ? and not is_control and run_date = ?",
                [audience.name, run_date],
            ).fetchone()[0]
            other_dates = con.execute(
                f"select count(*) from {table} where run_date <> ?", [run_date]
            ).fetchone()[0]
            if other_dates:
                findings.append(f"{audience.model}: {other_dates} rows of another run date")
            if treated != in_membership:
                findings.append(
                    f"{audience.model}: {treated} treated rows, audiences.membership has "
                    f"{in_membership}"
                )
            rows_by_audience[audience.name] = treated
            for fmt in FORMATS:
                path = staging / f"{audience.name}.{fmt}"
                findings += _audit_file(con, audience, path, treated, erasure)
                entry = listed.get(path.name)
                if path.is_file() and (entry is None or entry["sha256"] != _sha256_file(path)):
                    findings.append(f"{path.name}: not as listed in the manifest")
        if email_frequency_cap is not None:
            findings += _audit_frequency_cap(con, staging, audiences, email_frequency_cap)
    if findings:
        for finding in findings:
            log.error("audit: %s", finding)
        raise AuditError(findings, staging)
    log.info("audit passed for %s: %s", run_date, rows_by_audience)
    return {"run_date": run_date, "rows": rows_by_audience}


def _audit_frequency_cap(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    audiences: Iterable[Audience],
    cap: int,
) -> list[str]:
    email_files = [
        _read(staging / f"{a.name}.parquet")
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


def publish_exports(staging_dir: Path | str, export_dir: Path | str) -> Path:
    """Move audited files into ``<export_dir>/<run_date>``; write the manifest last.

    An existing folder for the date is renamed aside, the staged folder renamed into
    its place, then the old one deleted; if the second rename fails the old folder is
    put back. Files are re-hashed first, so what was audited is what is published.

    Args:
        staging_dir: The folder :func:`stage_exports` wrote and :func:`audit_exports`
            passed.
        export_dir: ``PZ_EXPORT_DIR``.

    Returns:
        The published folder.
    """
    staging = Path(staging_dir)
    export_dir = Path(export_dir)
    manifest = json.loads((staging / PENDING_MANIFEST).read_text())
    run_date = _check_run_date(manifest["run_date"])
    for entry in manifest["files"]:
        if _sha256_file(staging / entry["file"]) != entry["sha256"]:
            raise RuntimeError(f"{entry['file']} changed after the audit; not publishing")
    final = export_dir / run_date
    old: Path | None = None
    if final.exists():
        old = export_dir / f".old-{run_date}-{secrets.token_hex(4)}"
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    os.replace(final / PENDING_MANIFEST, final / MANIFEST)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    log.info("published %d files to %s", len(manifest["files"]), final)
    return final
