"""Command line of the export: ``python -m warehouse.export``."""

from __future__ import annotations

import argparse
import logging
import sys

from warehouse.settings import load_settings

DESCRIPTION = (
    "Write, audit and publish the audience files of one run date from the warehouse's "
    "audience tables (the last steps of a night, without Airflow)."
)


def main(argv: list[str] | None = None) -> int:
    """Stage, audit and (unless ``--no-publish``) publish; exit status 1 on a failed audit.

    The email frequency cap audited is the one dbt applied (``marts.pipeline_vars``), and
    the audiences are those of the manifest of the last dbt run in ``PZ_HOME``.
    """
    parser = argparse.ArgumentParser(prog="python -m warehouse.export", description=DESCRIPTION)
    parser.add_argument(
        "--run-date",
        required=True,
        help="the run date the audience tables were built for, YYYY-MM-DD",
    )
    parser.add_argument(
        "--no-publish",
        action="store_true",
        help="stage and audit only; the staged folder is left hidden for inspection",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    from warehouse.audiences import load_audiences
    from warehouse.db import read_pipeline_vars
    from warehouse.export import AuditError, audit_exports, publish_exports, stage_exports
    from warehouse.export.layout import check_run_date

    settings = load_settings()
    try:
        run_date = check_run_date(args.run_date)
    except ValueError:
        parser.error(f"--run-date must be YYYY-MM-DD, not {args.run_date!r}")
    dbt_vars = read_pipeline_vars(settings.duckdb_path)
    if str(dbt_vars["run_date"]) != run_date:
        print(
            f"the marts were built for run_date {dbt_vars['run_date']}, not {run_date}: "
            "build them for this date first",
            file=sys.stderr,
        )
        return 1
    audiences = load_audiences(settings.dbt_target_dir / "manifest.json")
    staging = stage_exports(
        settings.duckdb_path, settings.export_dir, run_date, audiences=audiences
    )
    try:
        audit_exports(
            settings.duckdb_path,
            staging,
            email_frequency_cap=int(dbt_vars["email_frequency_cap"]),
            audiences=audiences,
        )
    except AuditError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.no_publish:
        print(f"audited, not published: {staging}")
        return 0
    print(f"published {publish_exports(staging, settings.export_dir)}")
    return 0
