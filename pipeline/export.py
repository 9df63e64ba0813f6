"""The last steps of a night: stage and audit the audience files, then publish them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.errors import DataError
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


def stage_and_audit(
    run_date: str, generated_at: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Write the run date's audience files to a hidden folder and audit them.

    The audiences are the ones declared in the manifest of this night's dbt runs; the
    email frequency cap is the one dbt applied, read from ``marts.pipeline_vars``.

    Returns:
        ``staging_dir`` (for :func:`publish`) and the treated rows per audience.

    A feature or score that drifted from its model's training data (the manifest's
    ``drift``) is logged and returned as ``drift``; with ``PZ_DRIFT_FAIL=1`` it fails
    the step instead, so nothing is published.

    Raises:
        DataError: The marts were built for another date, the audit failed, or drift
            with ``PZ_DRIFT_FAIL=1`` (then nothing is published and the staged folder,
            its report included, is kept).
    """
    from warehouse.audiences import load_audiences
    from warehouse.db import read_pipeline_vars
    from warehouse.export import AuditError, audit_exports, stage_exports

    settings = settings or load_settings()
    dbt_vars = read_pipeline_vars(settings.duckdb_path)
    if str(dbt_vars["run_date"]) != run_date:
        raise DataError(
            f"marts.pipeline_vars was built for run_date {dbt_vars['run_date']}, not {run_date}: "
            "build the marts for this date first"
        )
    audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
    staging = stage_exports(
        settings.duckdb_path,
        settings.export_dir,
        run_date,
        generated_at=generated_at,
        audiences=audiences,
    )
    try:
        report = audit_exports(
            settings.duckdb_path,
            staging,
            email_frequency_cap=int(dbt_vars["email_frequency_cap"]),
            audiences=audiences,
        )
    except AuditError as exc:
        raise DataError(str(exc)) from exc
    drift = _drift(staging, settings)
    return {"staging_dir": str(staging), **report, **({"drift": drift} if drift else {})}


def _drift(staging: Path, settings: Settings) -> list[str]:
    """The night's drift as the manifest lists it; raises with ``PZ_DRIFT_FAIL=1``."""
    from warehouse.export.manifest import read_pending

    found = [
        f"{d['model']} {d['kind']} {d['name']}"
        + (f" PSI {d['psi']:.3f}" if d["psi"] is not None else " (no reference)")
        for d in read_pending(staging).get("drift", [])
    ]
    if not found:
        return []
    told = "; ".join(found)
    if settings.drift_fail:
        raise DataError(
            f"drift from the models' training data (PSI >= {settings.drift_psi_warn}): {told}; "
            f"PZ_DRIFT_FAIL=1, so nothing is published (staged files and report kept in "
            f"{staging}); retrain, check the marts, or unset PZ_DRIFT_FAIL to publish with "
            "a warning"
        )
    log.warning("drift from the models' training data (published all the same): %s", told)
    return found


def publish(staging_dir: str, settings: Settings | None = None) -> str:
    """Move audited files into ``<export_dir>/<run_date>``, manifest last.

    Returns:
        The published folder.
    """
    from warehouse.export import publish_exports

    settings = settings or load_settings()
    return str(publish_exports(staging_dir, settings.export_dir))
