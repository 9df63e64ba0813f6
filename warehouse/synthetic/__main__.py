"""Command line: ``python -m warehouse.synthetic --customers N --days D …``.

With ``--plant-lift AUDIENCE --run-date D`` it writes no new sample: it plants a known
response to the night ``D`` into the sample at ``--out`` (``warehouse/synthetic/plant.py``).
"""

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
    plant = parser.add_argument_group(
        "planted lift",
        "instead of a new sample, give the treated members of AUDIENCE exported on "
        "--run-date an extra order with probability --lift-share in the --lift-days days "
        "after it (appended to the sample at --out; the truth in --out/_truth/)",
    )
    plant.add_argument("--plant-lift", metavar="AUDIENCE")
    plant.add_argument("--run-date", type=dt.date.fromisoformat)
    plant.add_argument("--exports", type=Path, default=load_settings().export_dir)
    plant.add_argument("--lift-share", type=float, default=0.3)
    plant.add_argument("--lift-order-total", type=float, default=80.0)
    plant.add_argument("--lift-days", type=int, default=7)
    args = parser.parse_args(argv)
    if args.plant_lift:
        if args.run_date is None:
            parser.error("--plant-lift needs --run-date")
        from warehouse.synthetic.plant import plant_lift

        planted = plant_lift(
            args.out, args.exports, args.run_date, args.plant_lift,
            share=args.lift_share, order_total=args.lift_order_total, days=args.lift_days,
            seed=args.seed,
        )  # fmt: skip
        print(
            f"planted {planted['planted_orders']} orders of {args.lift_order_total:.2f} for "
            f"{planted['treated_members']} treated members of {args.plant_lift} after "
            f"{args.run_date}: expected revenue lift "
            f"{planted['expected_revenue_diff_per_person']:.2f} per person "
            f"(truth in {args.out / '_truth'})"
        )
        return 0
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
