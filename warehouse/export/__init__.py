"""Write, audit and publish the audience files of one run date.

The exports contract (DESIGN.md, "Exports"): ``$PZ_EXPORT_DIR/<run_date>/`` holds
``<audience>.parquet`` and ``<audience>.csv`` for every declared audience, the treated
members only (the holdout stays in ``audiences.membership``), and ``manifest.json``.
Three steps, so a bad night never reaches a marketing tool:

1. :func:`stage_exports` (:mod:`.stage`) writes every file with DuckDB ``COPY`` into a
   hidden folder ``<export_dir>/.tmp-<run_date>-<random>/``, rows in a stable order,
   plus the manifest (:mod:`.manifest`) as a pending file.
2. :func:`audit_exports` (:mod:`.audit`) reads the written files back and checks them
   against the warehouse; any finding raises :class:`AuditError`, the staged folder
   stays hidden for inspection and nothing is published.
3. :func:`publish_exports` (:mod:`.publish`) makes it ``<export_dir>/<run_date>``: a
   link to an immutable version folder, replaced in one atomic step, so a reader sees
   the old complete folder or the new one even if the process is killed.

Files and folders are owner-only unless ``PZ_EXPORT_FILE_MODE`` says otherwise, CSV
text cells that would run as spreadsheet formulas are neutralised (:mod:`.safe_csv`),
and what an interrupted run left behind goes on the next run (:mod:`.folders`).

Re-running a date gives byte-identical audience files; only the manifest's
``generated_at`` (taken from the Airflow run, not from the clock here) changes.

Besides its own files, an audience is written once per tool profile it names
(``<audience>.<profile>.csv``, :mod:`.profiles`): Klaviyo, Mailchimp and Braze for email
and SMS, Google Customer Match and Meta custom audiences for ads, each with the header,
order and hashing that tool documents; the manifest warns of a list below a platform's
documented minimum.
"""

from __future__ import annotations

from warehouse.export.audit import AuditError, audit_exports
from warehouse.export.layout import FORMATS, MANIFEST, PENDING_MANIFEST, file_columns
from warehouse.export.publish import publish_exports
from warehouse.export.stage import stage_exports

__all__ = [
    "FORMATS",
    "MANIFEST",
    "PENDING_MANIFEST",
    "AuditError",
    "audit_exports",
    "file_columns",
    "publish_exports",
    "stage_exports",
]
