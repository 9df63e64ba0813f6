"""The shape of an export folder: file names, formats, headers, digests.

Shared by every step of the export, so staging, audit and publish agree on what a
folder holds and how its files are named and fingerprinted.
"""

from __future__ import annotations

import datetime as dt

from warehouse.audiences import Audience

#: Warehouse column -> header of the ads file (Google Customer Match hashed upload).
ADS_FILE_HEADERS = {"email_sha256": "Email", "phone_sha256": "Phone"}
FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
PENDING_MANIFEST = ".manifest.pending.json"
STAGING_PREFIX = ".tmp-"
#: The merge ledger exported beside the audience files (marts.person_id_merges), one
#: file per format: which person ids were merged into which, and when.
MERGES_STEM = "person_id_merges"
MERGES_COLUMNS = ["old_person_id", "new_person_id", "merged_on"]


def merges_files() -> list[str]:
    """The names of the merge-ledger files of an export folder."""
    return [f"{MERGES_STEM}.{fmt}" for fmt in FORMATS]


def listed_files(manifest: dict) -> list[dict]:
    """Every file entry of a manifest: the audience files and the merge ledger."""
    return [*manifest.get("files", []), *manifest.get("person_id_merges", [])]


def file_columns(audience: Audience) -> list[str]:
    """The header of the audience's export file, in order."""
    if audience.channel == "ads":
        return [ADS_FILE_HEADERS.get(c, c) for c in audience.columns]
    return list(audience.columns)


def check_run_date(run_date: str) -> str:
    """The run date as ``YYYY-MM-DD``; raises ValueError for anything else."""
    return dt.date.fromisoformat(run_date).isoformat()
