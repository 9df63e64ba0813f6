"""The shape of an export folder: file names, formats, headers, digests.

Shared by every step of the export, so staging, audit and publish agree on what a
folder holds and how its files are named and fingerprinted. Each audience has its own
files (profile ``generic``: ``<name>.parquet`` and ``<name>.csv``) and one
``<name>.<profile>.csv`` per tool profile it names (:mod:`.profiles`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from warehouse.audiences import Audience
from warehouse.export.profiles import GENERIC, Field, Profile, cells, profile

#: Warehouse column -> header of the generic ads file (Google Customer Match's names).
ADS_FILE_HEADERS = {"email_sha256": "Email", "phone_sha256": "Phone"}
FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
PENDING_MANIFEST = ".manifest.pending.json"
STAGING_PREFIX = ".tmp-"
#: The merge ledger exported beside the audience files (marts.person_id_merges), one
#: file per format: which person ids were merged into which, and when.
MERGES_STEM = "person_id_merges"
MERGES_COLUMNS = ["old_person_id", "new_person_id", "merged_on"]
#: The night's run report (:mod:`warehouse.export.report`), listed as the manifest's
#: ``report`` entry.
REPORT = "report.html"


def merges_files() -> list[str]:
    """The names of the merge-ledger files of an export folder."""
    return [f"{MERGES_STEM}.{fmt}" for fmt in FORMATS]


def listed_files(manifest: dict) -> list[dict]:
    """Every file entry of a manifest: the audience files, the merge ledger and the
    run report."""
    report = [manifest["report"]] if manifest.get("report") else []
    return [*manifest.get("files", []), *manifest.get("person_id_merges", []), *report]


@dataclass(frozen=True)
class ExportFile:
    """One file of an audience: its profile, format, name and columns."""

    audience: Audience
    profile_name: str
    fmt: str

    @property
    def name(self) -> str:
        """The file name in the export folder."""
        if self.profile_name == GENERIC:
            return f"{self.audience.name}.{self.fmt}"
        return f"{self.audience.name}.{self.profile_name}.{self.fmt}"

    @property
    def profile(self) -> Profile | None:
        """The tool profile (None for the generic files)."""
        return None if self.profile_name == GENERIC else profile(self.profile_name)

    @property
    def fields(self) -> list[Field]:
        """The file's columns in order: header and the audience column or constant."""
        tool = self.profile
        if tool is None:
            return [Field(_generic_header(self.audience, c), c) for c in self.audience.columns]
        return cells(tool, self.audience.channel, self.audience.columns)

    @property
    def columns(self) -> list[str]:
        """The file's header, in order."""
        return [f.header for f in self.fields]

    def header_of(self, column: str) -> str | None:
        """The header holding an audience column, or None when the file leaves it out."""
        return next((f.header for f in self.fields if f.column == column), None)


def _generic_header(audience: Audience, column: str) -> str:
    return ADS_FILE_HEADERS.get(column, column) if audience.channel == "ads" else column


def export_files(audience: Audience) -> list[ExportFile]:
    """Every file the audience is exported to, generic files first."""
    files = [ExportFile(audience, GENERIC, fmt) for fmt in FORMATS]
    return files + [ExportFile(audience, p, "csv") for p in audience.profiles if p != GENERIC]


def file_columns(audience: Audience) -> list[str]:
    """The header of the audience's generic export files, in order."""
    return ExportFile(audience, GENERIC, FORMATS[0]).columns


def check_run_date(run_date: str) -> str:
    """The run date as ``YYYY-MM-DD``; raises ValueError for anything else."""
    return dt.date.fromisoformat(run_date).isoformat()
