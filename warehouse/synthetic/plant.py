"""A planted campaign response: the known lift the holdout measurement must find.

The sample's people do not react to audiences on their own, so every audience's true
lift is zero. :func:`plant_lift` adds a known one: after a night has published its
files, each treated (exported) member of one audience places, with probability
``share``, one extra order of ``order_total`` on a day drawn uniformly from the
``days`` days after the run date. The orders are appended to that day's
``shop/orders.csv`` and ``shop/order_items.csv.gz`` (created when the day had none), so
the next load re-reads the changed files. The control group is not in the export
files and gets nothing, so the expected lift is known exactly:

- revenue per person: ``share * order_total`` in any window of at least ``days`` days;
- conversion: ``share * (1 - c)``, ``c`` the share of treated members who would have
  ordered anyway (estimated by the control group's conversion).

What was planted is written to ``<landing>/_truth/planted_lift_<run_date>_<audience>.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

ORDER_COLUMNS = (
    "order_id", "customer_id", "order_ts", "channel", "currency", "subtotal", "discount",
    "shipping", "total", "status", "updated_at",
)  # fmt: skip
LINE_COLUMNS = ("order_id", "line_number", "product_id", "quantity", "unit_price")


def _product(landing: Path, before: dt.date) -> str:
    """An active product of the latest catalogue snapshot delivered by ``before``."""
    snapshots = sorted(
        p for p in (landing / "shop").glob("*/products.csv") if p.parent.name <= before.isoformat()
    )
    if not snapshots:
        raise FileNotFoundError(f"no shop/<date>/products.csv on or before {before} in {landing}")
    with snapshots[-1].open(newline="") as fh:
        for row in csv.DictReader(fh):
            if str(row.get("is_active", "true")).lower() != "false":
                return row["product_id"]
    raise ValueError(f"{snapshots[-1]}: no active product")


def _append_csv(path: Path, rows: list[list[str]], header: tuple[str, ...]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    fresh = not path.exists()
    if fresh:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer.writerow(header)
    elif not path.read_bytes().endswith(b"\n"):
        buffer.write("\n")
    writer.writerows(rows)
    with path.open("a", newline="") as fh:
        fh.write(buffer.getvalue())


def _append_gzip_csv(path: Path, rows: list[list[str]], header: tuple[str, ...]) -> None:
    """Append the rows as one more gzip member (readers see one stream)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        writer.writerow(header)
    writer.writerows(rows)
    with path.open("ab") as fh:
        fh.write(gzip.compress(buffer.getvalue().encode(), mtime=0))


def plant_lift(
    landing: Path | str,
    export_dir: Path | str,
    run_date: dt.date | str,
    audience: str,
    *,
    share: float = 0.3,
    order_total: float = 80.0,
    days: int = 7,
    seed: int = 42,
) -> dict[str, Any]:
    """Plant extra orders for the treated members of ``audience`` exported on ``run_date``.

    Args:
        landing: The sample's landing folder (its shop extracts are appended to).
        export_dir: The export root (``<export_dir>/<run_date>/<audience>.parquet``).
        run_date: The night whose exported members respond.
        audience: The audience; its generic file must carry ``customer_id``.
        share: Probability that a treated member places the planted order.
        order_total: The planted order's total (one line of one active product).
        days: The order falls on one of the ``days`` days after the run date.
        seed: Seed of the draws (the same arguments plant the same orders).

    Returns:
        What was planted (also written to the truth folder): members, orders, the
        expected revenue difference per person and the days used.
    """
    landing, export_dir = Path(landing), Path(export_dir)
    night = dt.date.fromisoformat(str(run_date))
    if not 0 < share <= 1 or order_total <= 0 or days < 1:
        raise ValueError("share must be in (0, 1], order_total positive and days at least 1")
    file = export_dir / night.isoformat() / f"{audience}.parquet"
    if not file.is_file():
        raise FileNotFoundError(f"no export of {audience} for {night}: {file}")
    table = pq.read_table(file)
    if "customer_id" not in table.column_names:
        raise ValueError(f"{file} has no customer_id column: plant an email or SMS audience")
    customers = sorted({c for c in table.column("customer_id").to_pylist() if c})
    rng = np.random.default_rng([seed, night.toordinal()])
    responds = rng.random(len(customers)) < share
    offsets = rng.integers(1, days + 1, size=len(customers))
    hours = rng.integers(8, 21, size=len(customers))
    product = _product(landing, night)
    total = f"{order_total:.2f}"
    by_day: dict[dt.date, tuple[list[list[str]], list[list[str]]]] = {}
    planted = 0
    for customer, yes, offset, hour in zip(customers, responds, offsets, hours, strict=True):
        if not yes:
            continue
        day = night + dt.timedelta(days=int(offset))
        order_id = f"L{night:%Y%m%d}{planted:06d}"
        ts = f"{day.isoformat()}T{int(hour):02d}:00:00Z"
        orders, lines = by_day.setdefault(day, ([], []))
        orders.append(
            [order_id, customer, ts, "web", "EUR", total, "0.00", "0.00", total, "placed", ts]
        )
        lines.append([order_id, "1", product, "1", total])
        planted += 1
    for day, (orders, lines) in sorted(by_day.items()):
        folder = landing / "shop" / day.isoformat()
        _append_csv(folder / "orders.csv", orders, ORDER_COLUMNS)
        _append_gzip_csv(folder / "order_items.csv.gz", lines, LINE_COLUMNS)
    summary = {
        "run_date": night.isoformat(),
        "audience": audience,
        "treated_members": len(customers),
        "planted_orders": planted,
        "share": share,
        "order_total": order_total,
        "days": days,
        "expected_revenue_diff_per_person": share * order_total,
        "order_dates": [d.isoformat() for d in sorted(by_day)],
    }
    truth = landing / "_truth"
    truth.mkdir(parents=True, exist_ok=True)
    (truth / f"planted_lift_{night.isoformat()}_{audience}.json").write_text(
        json.dumps(summary, indent=2) + "\n"
    )
    return summary
