"""Command line: ``python -m warehouse.synthetic --customers N --days D …``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from warehouse.settings import load_settings
from warehouse.synthetic import generate


def main(argv: list[str] | None = None) -> int:
    """Generate sample extracts and print what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.synthetic",
        description="Write sample source extracts with a known ground truth.",
    )
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 21))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=load_settings().landing_dir)
    args = parser.parse_args(argv)
    summary = generate(args.customers, args.days, args.end_date, args.seed, args.out)
    for key, s in summary["entities"].items():
        print(
            f"{key:28} {s['rows']:>12,} rows {s['bytes'] / 2**20:>9.1f} MiB {s['files']:>5} files"
        )
    print("seconds per stage: " + ", ".join(f"{k} {v}" for k, v in summary["timings"].items()))
    print(f"wrote {args.out} in {summary['wall_s']} s (truth in {args.out / '_truth'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
