"""Lift on the holdouts and the content variants' posteriors: the night's ``audience_lift`` step.

Every audience keeps a control group (``audiences.audience_sends``, the md5 holdout).
This step compares what its treated and control members of earlier nights did next
(``marts.audience_outcomes``, a dbt view: conversion, orders and revenue per window)
and writes one row per night, audience and window to ``marts.audience_lift``:

- conversion: the difference of the two shares with Newcombe's 95% interval and the
  two-proportion z-test's p-value;
- revenue per person: the difference with Welch's 95% interval and t-test;
- the same revenue difference after CUPED: each person's revenue minus
  ``theta * (pre-period revenue - its mean)``, theta the regression slope of revenue on
  the pre-period revenue over both groups. The expected difference is unchanged (the
  holdout is random, so the pre-period means agree), its variance shrinks by the
  squared correlation.

A night's rows are recomputed on every later night while one of its windows is open,
and once more on the night it closes; a row whose windows have all closed is final. A
backfill never overwrites rows computed on a later night (they saw more data).

The step also writes tonight's Beta posterior of every content variant
(``marts.audience_variant_posteriors``), before the audiences are built:
``alpha = 1 + conversions``, ``beta = 1 + members - conversions`` over the treated
members given the variant on earlier nights whose shortest window has closed, and the
probability that each variant converts best (Monte Carlo, seeded by the run date and
audience). ``audience_sends`` gives each treated member the variant whose slice of
[0, 1) their hashed uniform draw falls in: Thompson sampling, one draw per member.

Why a pipeline step and not a dbt Python model: the statistics need statsmodels in the
pipeline's own process (dbt-spark runs Python models only on Databricks, the project's
SQL stays portable); a night rewrites only the nights still open, one partition at a
time through :func:`warehouse.db.replace_partition`, as the ml models do; and the
variant posteriors must exist before the audience models read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from warehouse import db
from warehouse.audiences import load_audiences
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

LIFT_TABLE = "marts.audience_lift"
POSTERIOR_TABLE = "marts.audience_variant_posteriors"
OUTCOMES_VIEW = "marts.audience_outcomes"
SENDS_TABLE = "audiences.audience_sends"
CAPPED_VIEW = "audiences.audience_frequency_capped"
#: Confidence level of every interval.
ALPHA = 0.05
#: Monte Carlo draws per variant for the probability that it converts best.
POSTERIOR_DRAWS = 100_000


def _number(value: Any) -> float | None:
    """A float for the warehouse, None for a missing or undefined figure."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def conversion_lift(
    treated_conversions: int, treated_n: int, control_conversions: int, control_n: int
) -> dict[str, float | None]:
    """Treated minus control conversion with its 95% interval and p-value.

    The interval is Newcombe's hybrid score interval of a difference of proportions
    (it keeps its coverage with few conversions, where Wald's does not); the p-value is
    the two-sided two-proportion z-test. Both groups empty or both all-or-nothing
    leave the undefined figures as None.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    out: dict[str, float | None] = dict.fromkeys(
        ("conversion_treated", "conversion_control", "conversion_diff", "conversion_ci_low",
         "conversion_ci_high", "conversion_p_value")
    )  # fmt: skip
    if treated_n == 0 or control_n == 0:
        return out
    p_t, p_c = treated_conversions / treated_n, control_conversions / control_n
    low, high = confint_proportions_2indep(
        treated_conversions, treated_n, control_conversions, control_n,
        method="newcomb", compare="diff", alpha=ALPHA,
    )  # fmt: skip
    total = treated_conversions + control_conversions
    p_value = None
    if 0 < total < treated_n + control_n:
        _, p_value = proportions_ztest(
            [treated_conversions, control_conversions], [treated_n, control_n]
        )
    out.update(
        conversion_treated=p_t,
        conversion_control=p_c,
        conversion_diff=p_t - p_c,
        conversion_ci_low=_number(low),
        conversion_ci_high=_number(high),
        conversion_p_value=_number(p_value),
    )
    return out


def welch(treated: np.ndarray, control: np.ndarray) -> tuple[float | None, ...]:
    """(difference of means, 95% low, high, p-value) of Welch's unequal-variance t-test.

    Fewer than two values in a group, or no variance in either, leaves the interval
    and the p-value as None.
    """
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    diff = float(treated.mean() - control.mean()) if len(treated) and len(control) else None
    if len(treated) < 2 or len(control) < 2 or (treated.var() == 0 and control.var() == 0):
        return diff, None, None, None
    compare = CompareMeans(DescrStatsW(treated), DescrStatsW(control))
    _, p_value, _ = compare.ttest_ind(usevar="unequal")
    low, high = compare.tconfint_diff(alpha=ALPHA, usevar="unequal")
    return diff, _number(low), _number(high), _number(p_value)


def cuped(revenue: np.ndarray, pre_period: np.ndarray) -> tuple[np.ndarray, float]:
    """CUPED-adjusted revenue and theta: ``y - theta * (x - mean(x))`` over both groups.

    theta = cov(y, x) / var(x), 0 when the pre-period revenue does not vary.
    """
    if len(revenue) < 2 or pre_period.var() == 0:
        return revenue.astype(float), 0.0
    theta = float(np.cov(revenue, pre_period, ddof=1)[0, 1] / pre_period.var(ddof=1))
    return revenue - theta * (pre_period - pre_period.mean()), theta


def lift_of_group(
    is_control: np.ndarray,
    converted: np.ndarray,
    orders: np.ndarray,
    revenue: np.ndarray,
    pre_period_revenue: np.ndarray,
) -> dict[str, Any]:
    """Every figure of one (night, audience, window) row from its members' outcomes."""
    treated = ~is_control
    treated_n, control_n = int(treated.sum()), int(is_control.sum())
    row: dict[str, Any] = {"treated_n": treated_n, "control_n": control_n}
    row.update(
        conversion_lift(
            int(converted[treated].sum()), treated_n, int(converted[is_control].sum()), control_n
        )
    )

    def mean(values: np.ndarray) -> float | None:
        return float(values.mean()) if len(values) else None

    row.update(
        orders_per_person_treated=mean(orders[treated]),
        orders_per_person_control=mean(orders[is_control]),
        revenue_per_person_treated=mean(revenue[treated]),
        revenue_per_person_control=mean(revenue[is_control]),
    )
    diff, low, high, p_value = welch(revenue[treated], revenue[is_control])
    row.update(revenue_diff=diff, revenue_ci_low=low, revenue_ci_high=high, revenue_p_value=p_value)
    adjusted, theta = cuped(revenue, pre_period_revenue)
    diff, low, high, p_value = welch(adjusted[treated], adjusted[is_control])
    row.update(
        revenue_diff_cuped=diff,
        revenue_cuped_ci_low=low,
        revenue_cuped_ci_high=high,
        revenue_cuped_p_value=p_value,
        cuped_theta=theta,
    )
    notes = [f"{name} has fewer than 2 members" for name, n in
             (("treated", treated_n), ("control", control_n)) if n < 2]  # fmt: skip
    row["note"] = "; ".join(notes) or None
    return row


def lift_rows(outcomes: pa.Table, computed_on: dt.date) -> list[dict[str, Any]]:
    """One lift row per (run_date, audience, window_days) of ``marts.audience_outcomes`` rows."""
    frame = outcomes.to_pandas()
    rows = []
    keys = ["run_date", "audience", "channel", "window_days"]
    for (run_date, audience, channel, window_days), group in frame.groupby(keys, sort=True):
        row = {
            "run_date": run_date,
            "audience": audience,
            "channel": channel,
            "window_days": int(window_days),
            "window_closed": bool(group["is_window_closed"].all()),
            "days_observed": int(group["days_observed"].max()),
            **lift_of_group(
                group["is_control"].to_numpy(dtype=bool),
                group["has_converted"].to_numpy(dtype=bool),
                group["orders"].to_numpy(dtype=float),
                group["revenue"].to_numpy(dtype=float),
                group["pre_period_revenue"].to_numpy(dtype=float),
            ),
            "computed_on": computed_on,
        }
        rows.append(row)
    return rows


def allocation_shares(
    alphas: Sequence[float], betas: Sequence[float], seed: int, draws: int = POSTERIOR_DRAWS
) -> list[float]:
    """The probability that each variant converts best under independent Beta posteriors.

    Monte Carlo with ``draws`` samples per variant from a generator seeded by ``seed``;
    the shares sum to 1 (ties go to the first variant).
    """
    rng = np.random.default_rng(seed)
    samples = rng.beta(
        np.asarray(alphas, float), np.asarray(betas, float), size=(draws, len(alphas))
    )
    best = np.bincount(samples.argmax(axis=1), minlength=len(alphas))
    return [float(count) / draws for count in best]


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:8], 16)


def variant_posteriors(
    history: pa.Table,
    variants: dict[str, tuple[str, ...]],
    run_date: dt.date,
    window_days: int,
    draws: int = POSTERIOR_DRAWS,
) -> list[dict[str, Any]]:
    """Tonight's posterior and allocation share of every declared variant.

    Args:
        history: ``audience``, ``variant``, ``members``, ``conversions`` of the treated
            members given a variant on earlier nights with a closed window.
        variants: Audience -> its declared variants, in order.
        run_date: Tonight; with the audience, the seed of the Monte Carlo draws.
        window_days: The window a conversion counts in (recorded with the rows).
        draws: Monte Carlo draws per variant.
    """
    seen = {(r["audience"], r["variant"]): r for r in history.to_pylist()}
    rows = []
    for audience, names in sorted(variants.items()):
        counts = [seen.get((audience, v), {"members": 0, "conversions": 0}) for v in names]
        alphas = [1.0 + c["conversions"] for c in counts]
        betas = [1.0 + c["members"] - c["conversions"] for c in counts]
        shares = allocation_shares(alphas, betas, _seed(run_date, audience), draws)
        for name, count, a, b, share in zip(names, counts, alphas, betas, shares, strict=True):
            rows.append(
                {
                    "run_date": run_date,
                    "audience": audience,
                    "variant": name,
                    "window_days": window_days,
                    "members": int(count["members"]),
                    "conversions": int(count["conversions"]),
                    "alpha": a,
                    "beta": b,
                    "allocation_share": share,
                }
            )
    return rows


def _nights_to_recompute(run_date: dt.date, path: Path) -> tuple[list[dt.date], int, int]:
    """(nights to compute tonight, nights final, nights left to a later night)."""
    with db.connect(path, read_only=True) as con:
        nights = [
            r[0]
            for r in con.execute(
                f"select distinct run_date from {SENDS_TABLE} "
                "where run_date < ? and status in ('treated', 'control') order by run_date",
                [run_date],
            ).fetchall()
        ]
        stored = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                f"select run_date, bool_and(window_closed), max(computed_on) from {LIFT_TABLE} "
                "group by run_date"
            ).fetchall()
        }
    todo, final, later = [], 0, 0
    for night in nights:
        if night not in stored:
            todo.append(night)
        elif stored[night][1] > run_date:
            later += 1
        elif stored[night][0]:
            final += 1
        else:
            todo.append(night)
    return todo, final, later


def _has_table(path: Path, qualified: str) -> bool:
    schema, name = qualified.split(".")
    with db.connect(path, read_only=True) as con:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
        )


def _empty(table: str, path: Path) -> pa.Table:
    return db.read_arrow(f"select * from {table} where false", path=path)


def _as_table(rows: list[dict[str, Any]], table: str, path: Path) -> pa.Table:
    """Rows as an Arrow table with the warehouse table's columns (its types decide)."""
    columns = _empty(table, path).column_names
    return (
        pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
        if rows
        else _empty(table, path)
    )


def audience_lift(
    run: dict[str, Any], settings: Settings | None = None, manifest: Path | None = None
) -> dict[str, Any]:
    """The night's step: lift of the earlier nights still open, tonight's variant posteriors.

    Args:
        run: The resolved run (``run_date``).
        settings: Where the warehouse is (default: the environment's).
        manifest: The dbt manifest declaring the audiences (default: the night's).

    Returns:
        What was computed: the nights recomputed, final and left to a later night, the
        lift rows written, the rows whose interval excludes zero, and tonight's
        posteriors (audience -> variant -> alpha, beta, allocation share).
    """
    settings = settings or load_settings()
    path = settings.duckdb_path
    run_date = dt.date.fromisoformat(str(run["run_date"]))
    windows = [int(w) for w in db.read_pipeline_vars(path)["lift_window_days"]]
    result: dict[str, Any] = {"run_date": run_date.isoformat(), "windows": windows}

    if _has_table(path, SENDS_TABLE):
        todo, final, later = _nights_to_recompute(run_date, path)
    else:
        todo, final, later = [], 0, 0
        log.info("lift: no audience night recorded yet (%s does not exist)", SENDS_TABLE)
    written = significant = 0
    for night in todo:
        outcomes = db.read_arrow(
            f"select run_date, audience, channel, window_days, days_observed, "
            f"cast(orders as double) as orders, cast(revenue as double) as revenue, "
            f"cast(pre_period_revenue as double) as pre_period_revenue, is_control, "
            f"has_converted, is_window_closed from {OUTCOMES_VIEW} where run_date = ?",
            [night],
            path=path,
        )
        rows = lift_rows(outcomes, run_date)
        written += db.replace_partition(
            LIFT_TABLE, "run_date", night, _as_table(rows, LIFT_TABLE, path), path
        )
        significant += sum(
            1 for r in rows if r["conversion_ci_low"] is not None
            and (r["conversion_ci_low"] > 0 or r["conversion_ci_high"] < 0)
        )  # fmt: skip
    result.update(
        nights_recomputed=[n.isoformat() for n in todo],
        nights_final=final,
        nights_kept_from_later_runs=later,
        lift_rows=written,
        conversion_intervals_excluding_zero=significant,
    )
    if not todo:
        log.warning(
            "lift: no earlier night to measure on %s (%d final, %d computed by later nights)",
            run_date, final, later,
        )  # fmt: skip
    else:
        log.info(
            "lift: %d rows for %d nights (%s .. %s); %d conversion intervals exclude 0",
            written, len(todo), todo[0], todo[-1], significant,
        )  # fmt: skip

    manifest = manifest or settings.dbt_target_dir / "manifest.json"
    variants = {a.name: a.variants for a in load_audiences(manifest) if a.variants}
    result["posteriors"] = _write_posteriors(run_date, variants, min(windows), path)
    return result


def _write_posteriors(
    run_date: dt.date, variants: dict[str, tuple[str, ...]], window_days: int, path: Path
) -> dict[str, dict[str, dict[str, float]]]:
    if not variants:
        log.info("variants: no audience declares variants")
        db.replace_partition(
            POSTERIOR_TABLE, "run_date", run_date, _empty(POSTERIOR_TABLE, path), path
        )
        return {}
    history = pa.table({"audience": [], "variant": [], "members": [], "conversions": []})
    if _has_table(path, SENDS_TABLE):
        history = db.read_arrow(
            f"select audience, variant, cast(count(*) as bigint) as members, "
            f"cast(sum(case when has_converted then 1 else 0 end) as bigint) as conversions "
            f"from {OUTCOMES_VIEW} where not is_control and variant is not null "
            f"and window_days = ? and is_window_closed group by audience, variant",
            [window_days],
            path=path,
        )
    rows = variant_posteriors(history, variants, run_date, window_days)
    db.replace_partition(
        POSTERIOR_TABLE, "run_date", run_date, _as_table(rows, POSTERIOR_TABLE, path), path
    )
    posteriors: dict[str, dict[str, dict[str, float]]] = {}
    for r in rows:
        posteriors.setdefault(r["audience"], {})[r["variant"]] = {
            "alpha": r["alpha"], "beta": r["beta"], "allocation_share": r["allocation_share"],
        }  # fmt: skip
    for audience, by_variant in posteriors.items():
        log.info(
            "variants of %s: %s", audience,
            ", ".join(f"{v} Beta({p['alpha']:g}, {p['beta']:g}) share {p['allocation_share']:.3f}"
                      for v, p in by_variant.items()),
        )  # fmt: skip
    return posteriors


def frequency_capped(run_date: str, settings: Settings | None = None) -> dict[str, Any]:
    """Tonight's people left out by a frequency cap, counted by cap and audience.

    Returns:
        ``people`` (distinct persons), ``rows`` (person and audience pairs), ``by_cap``
        (``email_frequency_cap`` / ``rolling_message_cap`` -> rows) and ``by_audience``.
    """
    settings = settings or load_settings()
    with db.connect(settings.duckdb_path, read_only=True) as con:
        rows = con.execute(
            f"select audience, split_part(reason, ':', 1) as cap, person_id from {CAPPED_VIEW} "
            "where run_date = ?",
            [dt.date.fromisoformat(run_date)],
        ).fetchall()
    by_cap: dict[str, int] = {}
    by_audience: dict[str, int] = {}
    for audience, cap, _ in rows:
        by_cap[cap] = by_cap.get(cap, 0) + 1
        by_audience[audience] = by_audience.get(audience, 0) + 1
    capped = {
        "people": len({person for *_, person in rows}),
        "rows": len(rows),
        "by_cap": dict(sorted(by_cap.items())),
        "by_audience": dict(sorted(by_audience.items())),
    }
    log.info("frequency caps left out %d people (%s)", capped["people"], capped["by_cap"] or "none")
    return capped


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.lift --run-date YYYY-MM-DD``: the step on its own."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.lift",
        description="Lift on the holdouts of earlier nights and tonight's variant posteriors.",
    )
    parser.add_argument("--run-date", required=True, type=dt.date.fromisoformat)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = audience_lift({"run_date": args.run_date.isoformat()})
    print(
        f"lift: {result['lift_rows']} rows for {len(result['nights_recomputed'])} nights; "
        f"posteriors for {len(result['posteriors'])} audiences"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
