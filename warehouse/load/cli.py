"""Command line of the loader: ``python -m warehouse.load``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from warehouse.files import private_umask
from warehouse.load.batch import DEFAULT_MAX_REJECT_RATE, DEFAULT_MIN_REJECTS_TO_FAIL
from warehouse.load.landing import load_landing
from warehouse.settings import load_settings

DESCRIPTION = "Load source extracts from the landing folder into DuckDB's ``raw`` schema."


def main(argv: list[str] | None = None) -> int:
    """Load the landing folder, print a one-line summary; exit status 1 if a file failed."""
    private_umask()
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m warehouse.load", description=DESCRIPTION)
    parser.add_argument("--landing-dir", type=Path, default=settings.landing_dir)
    parser.add_argument("--duckdb-path", type=Path, default=settings.duckdb_path)
    parser.add_argument(
        "--max-reject-rate",
        type=float,
        default=DEFAULT_MAX_REJECT_RATE,
        help="fail a file whose share of rejected rows is above this (default 0.05)",
    )
    parser.add_argument(
        "--min-rejects-to-fail",
        type=int,
        default=DEFAULT_MIN_REJECTS_TO_FAIL,
        help="the reject rate fails a file only with at least this many rejects (default 10)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    summary = load_landing(
        args.landing_dir,
        args.duckdb_path,
        max_reject_rate=args.max_reject_rate,
        min_rejects_to_fail=args.min_rejects_to_fail,
    )
    rows = sum(r.rows_loaded for r in summary.loaded)
    rejected = sum(r.rows_rejected for r in summary.loaded)
    print(
        f"{len(summary.loaded)} files loaded ({rows} rows, {rejected} rejected), "
        f"{len(summary.skipped)} unchanged, {len(summary.failed)} failed, "
        f"{len(summary.ignored)} ignored"
    )
    for r in summary.failed:
        print(f"FAILED {r.file}: {r.error}", file=sys.stderr)
    return 1 if summary.failed else 0
