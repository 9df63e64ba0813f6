"""Reading the churn model's inputs from the marts (thin SQL over warehouse.db)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ml.features import to_pandas
from warehouse import db

LABEL = "churned"

_TRAINING_SQL = """
with cutoffs as (
    select distinct cutoff_date
    from marts.customer_features_history
    where cutoff_date + $horizon <= $run_date
),
orders as (
    select person_id, order_date
    from marts.fct_orders
    where is_revenue and order_date <= $run_date
),
labels as (
    select
        c.cutoff_date,
        o.person_id,
        count(*) filter (where o.order_date <= c.cutoff_date) as orders_before,
        count(*) filter (where o.order_date > c.cutoff_date) as orders_after,
    from cutoffs as c
    join orders as o
        on o.order_date > c.cutoff_date - 365
        and o.order_date <= c.cutoff_date + $horizon
    group by all
)
select h.*, l.orders_after = 0 as churned
from marts.customer_features_history as h
join labels as l using (cutoff_date, person_id)
where l.orders_before > 0
order by h.cutoff_date, h.person_id
"""

_SCORING_SQL = """
with active as (
    select distinct person_id
    from marts.fct_orders
    where is_revenue and order_date > $run_date - 365 and order_date <= $run_date
)
select f.*
from marts.customer_features as f
join active using (person_id)
order by f.person_id
"""


def load_training_frame(
    run_date: dt.date, horizon_days: int, path: Path | None = None
) -> pd.DataFrame:
    """Labelled examples: one row per (cutoff_date, person_id).

    Cutoffs come from ``marts.customer_features_history`` and are kept only when their
    horizon ends on or before ``run_date``. The population at a cutoff is everyone with
    a revenue order in the year up to it; ``churned`` is true when that person has no
    revenue order in the ``horizon_days`` after it.
    """
    table = db.read_arrow(_TRAINING_SQL, {"run_date": run_date, "horizon": horizon_days}, path=path)
    return to_pandas(table)


def load_scoring_frame(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """Today's feature vectors of everyone with a revenue order in the last year."""
    return to_pandas(db.read_arrow(_SCORING_SQL, {"run_date": run_date}, path=path))
