"""Take erased people out of every export folder already published.

A folder published before an erasure request arrived still holds the person (with
their email in plain text in the email files). :func:`remove_people` rewrites each
such folder without the rows in which any text cell is one of the people's tokens
(ids, emails, phones and their hashes: whatever a file's profile carries) and
publishes it again through :func:`publish_exports`: the new version is staged in a
hidden folder, its manifest carries the new row counts and sha256 digests (and a
``rewrites`` entry saying when and why), and the run-date link is swapped in one
step, so a reader sees the old complete folder or the new one. Folders with none of
the people are left as they are. The same takes people who withdrew consent for a
channel (or are suppressed from email) out of that channel's files.

The run report (``report.html``) holds aggregates only, no person, and is carried into
the new version byte for byte, so its manifest digest stays what it was: it describes
the night as it ran (its audience sizes are those of that night, before the rewrite).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from warehouse.export.folders import export_modes, make_private_dir, version_of
from warehouse.export.layout import (
    MANIFEST,
    PENDING_MANIFEST,
    REPORT,
    STAGING_PREFIX,
    listed_files,
)
from warehouse.export.publish import publish_exports
from warehouse.export.sql import literal, quote, read_relation
from warehouse.files import sha256_file

log = logging.getLogger(__name__)

_COPY = {".parquet": "format parquet, compression zstd", ".csv": "format csv, header true"}


def published_folders(export_dir: Path) -> list[Path]:
    """Every published run-date folder (links to versions, or real folders)."""
    if not export_dir.is_dir():
        return []
    return sorted(
        p
        for p in export_dir.iterdir()
        if not p.name.startswith(".") and p.is_dir() and (p / MANIFEST).exists()
    )


def _text_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    described = con.execute(f"describe select * from {relation}").fetchall()
    return [name for name, kind, *_ in described if kind == "VARCHAR"]


def remove_people(
    export_dir: Path | str, tokens: Mapping[str | None, Iterable[str]]
) -> dict[str, int]:
    """Rewrite every published folder that holds any of the tokens, without those rows.

    Args:
        export_dir: ``PZ_EXPORT_DIR``.
        tokens: Channel -> what names the people to remove from that channel's files;
            ``None`` -> from every file, the merge ledger included (erased people:
            :meth:`~warehouse.privacy.erase.ErasureSet.export_tokens`).

    Returns:
        Run date -> rows removed, for the folders that changed.

    Raises:
        ValueError: A data file has no text column (nothing can tell whether it holds
            one of the people); nothing is changed for its folder.
    """
    export_dir = Path(export_dir)
    rows = sorted({(channel or "", t) for channel, ts in tokens.items() for t in ts})
    changed: dict[str, int] = {}
    if not rows:
        return changed
    con = duckdb.connect()
    try:
        con.execute("set threads = 1; set preserve_insertion_order = true")
        con.execute("create temp table _erased (channel varchar, token varchar)")
        con.execute(
            "insert into _erased select unnest(?), unnest(?)",
            [[c for c, _ in rows], [t for _, t in rows]],
        )
        for folder in published_folders(export_dir):
            removed = _rewrite(con, export_dir, folder)
            if removed:
                changed[folder.name] = removed
    finally:
        con.close()
    return changed


def _rewrite(con: duckdb.DuckDBPyConnection, export_dir: Path, folder: Path) -> int:
    manifest = json.loads((folder / MANIFEST).read_text())
    entries = [entry for entry in listed_files(manifest) if entry["file"] != REPORT]
    plans = []
    for entry in entries:
        path = folder / entry["file"]
        relation = read_relation(path)
        cols = _text_columns(con, relation)
        if not cols:
            raise ValueError(f"{path}: no text column that could name a person")
        channels = ", ".join(literal(c) for c in ("", entry.get("channel") or ""))
        erased = " or ".join(
            f"coalesce({quote(c)} in (select token from _erased where channel in ({channels})),"
            " false)"
            for c in cols
        )
        count = con.execute(f"select count(*) from {relation} where {erased}").fetchone()[0]
        plans.append((entry, path, relation, erased, count))
    removed = sum(plan[-1] for plan in plans)
    if not removed:
        return 0
    modes = export_modes()
    run_date = manifest["run_date"]
    staging = export_dir / f"{STAGING_PREFIX}{run_date}-{secrets.token_hex(4)}"
    make_private_dir(staging, modes)
    for entry, path, relation, erased, _count in plans:
        target = staging / path.name
        con.execute(
            f"copy (select * from {relation} where not ({erased})) "
            f"to {literal(str(target))} ({_COPY[path.suffix]})"
        )
        target.chmod(modes.file)
        entry["rows"] = con.execute(f"select count(*) from {read_relation(target)}").fetchone()[0]
        entry["sha256"] = sha256_file(target)
    if manifest.get("report"):
        shutil.copyfile(folder / REPORT, staging / REPORT)
        (staging / REPORT).chmod(modes.file)
    manifest.setdefault("rewrites", []).append(
        {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reason": "erasure or withdrawn consent",
            "rows_removed": removed,
            "previous_version": version_of(folder),
        }
    )
    pending = staging / PENDING_MANIFEST
    pending.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    pending.chmod(modes.file)
    publish_exports(staging, export_dir)
    log.info("%s: rewritten without %d rows of erased people", folder.name, removed)
    return removed
