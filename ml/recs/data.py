"""Reading the recommender's inputs from the marts (thin SQL over warehouse.db)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.features import to_pandas
from warehouse import db

#: Confidence of one event by type, and its half-life: the definition of
#: marts.customer_item_interactions.weight (dbt var interaction_half_life_days).
EVENT_WEIGHTS = {"purchase": 5.0, "cart_add": 3.0, "view": 1.0}
HALF_LIFE_DAYS = 30


def _interaction_frame(table: pa.Table) -> pd.DataFrame:
    """Interaction rows with person_id and product_id as categoricals.

    Every person and product appears on many rows: a Python string per row and column
    takes several GB for the 58 million interactions of a million customers; codes
    into one copy of each id take a fraction of that.
    """
    for name in ("person_id", "product_id"):
        table = table.set_column(
            table.schema.get_field_index(name), name, pc.dictionary_encode(table[name])
        )
    frame = to_pandas(table)
    for name in ("person_id", "product_id"):
        ids = frame[name].cat
        frame[name] = ids.reorder_categories(ids.categories.sort_values())
    return frame


def load_interactions(path: Path | None = None) -> pd.DataFrame:
    """``marts.customer_item_interactions`` as of the run date: person, product, weight."""
    sql = """
        select person_id, product_id, weight, purchase_count
        from marts.customer_item_interactions
        order by person_id, product_id
    """
    return _interaction_frame(db.read_arrow(sql, path=path))


def load_split(
    run_date: dt.date,
    window_days: int,
    path: Path | None = None,
    half_life_days: int = HALF_LIFE_DAYS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A time split of ``marts.fct_product_interactions`` at ``run_date - window_days``.

    Returns:
        The training interactions (person, product, weight, purchase_count) aggregated
        exactly as the mart does but as of the split date, and the test purchases
        (person, product) made in the window after it, up to ``run_date``.
    """
    split = run_date - dt.timedelta(days=window_days)
    train_sql = f"""
        select
            person_id,
            product_id,
            sum(case interaction_type
                    when 'purchase' then {EVENT_WEIGHTS["purchase"]}
                    when 'cart_add' then {EVENT_WEIGHTS["cart_add"]}
                    else {EVENT_WEIGHTS["view"]} end
                * power(0.5, date_diff('day', occurred_at, $split) / {half_life_days}))
                as weight,
            count(*) filter (where interaction_type = 'purchase') as purchase_count,
        from marts.fct_product_interactions
        where occurred_at < $split + interval 1 day
        group by all
        order by person_id, product_id
    """
    test_sql = """
        select distinct person_id, product_id
        from marts.fct_product_interactions
        where interaction_type = 'purchase'
          and occurred_at >= $split + interval 1 day
          and occurred_at < $run_date + interval 1 day
        order by person_id, product_id
    """
    train = _interaction_frame(db.read_arrow(train_sql, {"split": split}, path=path))
    test = _interaction_frame(
        db.read_arrow(test_sql, {"split": split, "run_date": run_date}, path=path)
    )
    return train, test


def load_products(path: Path | None = None) -> pd.DataFrame:
    """``marts.dim_products``: product_id, category, is_active."""
    sql = """
        select product_id, category, coalesce(is_active, true) as is_active
        from marts.dim_products order by product_id
    """
    return to_pandas(db.read_arrow(sql, path=path))


def load_people(path: Path | None = None) -> pd.DataFrame:
    """Every person of ``marts.dim_customers`` with their preferred category."""
    sql = "select person_id, preferred_category from marts.dim_customers order by person_id"
    return to_pandas(db.read_arrow(sql, path=path))


def load_popularity(run_date: dt.date, days: int = 90, path: Path | None = None) -> pd.DataFrame:
    """Buyers per product over the ``days`` up to ``run_date`` (product_id, buyers)."""
    sql = """
        select product_id, count(distinct person_id) as buyers
        from marts.fct_product_interactions
        where interaction_type = 'purchase'
          and occurred_at >= $run_date - $days + interval 1 day
          and occurred_at < $run_date + interval 1 day
        group by product_id
        order by buyers desc, product_id
    """
    return to_pandas(db.read_arrow(sql, {"run_date": run_date, "days": days}, path=path))
