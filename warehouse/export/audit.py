"""Audit a staged export folder against the warehouse before anything is published.

Row counts must match the audience and membership tables, every exported person must
have consent for the audience's channel and be in ``marts.dim_customers``, no one with
an erasure request in staging may be exported, nor anyone in ``marts.email_suppressions``
in an email file, no control-group member either, the
email frequency cap must hold, ads files must carry no plaintext PII, no CSV text cell
may start a spreadsheet formula, and every file must have the declared columns and the
digest the manifest lists. The run report must be listed, fetch nothing from outside
the page and name no person (:func:`~warehouse.export.report.audit_report`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warehouse.audiences import Audience, load_audiences
from warehouse.export.checks import audit_file, audit_frequency_cap
from warehouse.export.layout import (
    PENDING_MANIFEST,
    REPORT,
    export_files,
    listed_files,
    merges_files,
)
from warehouse.export.manifest import read_pending
from warehouse.export.report import audit_report
from warehouse.export.sql import connect_reproducible, quote, table_exists
from warehouse.files import sha256_file

log = logging.getLogger(__name__)


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
        staging_dir: The folder :func:`~warehouse.export.stage_exports` returned.
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
    manifest = read_pending(staging)
    run_date = manifest["run_date"]
    findings: list[str] = []
    expected_files = {f.name for a in audiences for f in export_files(a)}
    expected_files |= {*merges_files(), REPORT}
    present = {p.name for p in staging.iterdir() if p.name != PENDING_MANIFEST}
    if present - expected_files:
        findings.append(f"unexpected files: {sorted(present - expected_files)}")
    listed = {f["file"]: f for f in listed_files(manifest)}
    for name in merges_files():
        path = staging / name
        if not path.is_file() or path.name not in listed:
            findings.append(f"{name}: missing or not listed in the manifest")
        elif listed[name]["sha256"] != sha256_file(path):
            findings.append(f"{name}: not as listed in the manifest")
    rows_by_audience: dict[str, int] = {}
    with connect_reproducible(duckdb_path) as con:
        report = staging / REPORT
        if not report.is_file() or REPORT not in listed:
            findings.append(f"{REPORT}: missing or not listed in the manifest")
        elif listed[REPORT]["sha256"] != sha256_file(report):
            findings.append(f"{REPORT}: not as listed in the manifest")
        else:
            findings += audit_report(con, report)
        erasure = table_exists(con, "staging", "stg_privacy__erasure_requests")
        if not erasure:
            log.warning("staging.stg_privacy__erasure_requests is missing: erasure not checked")
        suppression = table_exists(con, "marts", "email_suppressions")
        if not suppression:
            log.warning("marts.email_suppressions is missing: email suppression not checked")
        for audience in audiences:
            table = f"audiences.{quote(audience.model)}"
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
            for file in export_files(audience):
                path = staging / file.name
                findings += audit_file(con, file, path, treated, erasure, suppression)
                entry = listed.get(path.name)
                if path.is_file() and (entry is None or entry["sha256"] != sha256_file(path)):
                    findings.append(f"{path.name}: not as listed in the manifest")
        if email_frequency_cap is not None:
            findings += audit_frequency_cap(con, staging, audiences, email_frequency_cap)
    if findings:
        for finding in findings:
            log.error("audit: %s", finding)
        raise AuditError(findings, staging)
    log.info("audit passed for %s: %s", run_date, rows_by_audience)
    return {"run_date": run_date, "rows": rows_by_audience}
