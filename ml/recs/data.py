"""Reading the recommender's inputs from the marts (thin SQL over warehouse.db).

The time split is two dbt models (marts.recs_training_interactions and
marts.recs_holdout_purchases), aggregated by the same macro as
marts.customer_item_interactions; the event weights, the half-life and the holdout
window are dbt vars.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.features import to_pandas
from warehouse import db


class Split(NamedTuple):
    """A time split: training interactions up to split_date, test purchases after it."""

    train: pd.DataFrame
    test: pd.DataFrame
    split_date: dt.date | None


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


def load_split(path: Path | None = None) -> Split:
    """The time split of the recommenders, as dbt built it for the run date.

    Returns:
        The training interactions (person, product, weight, purchase_count) aggregated
        exactly as ``marts.customer_item_interactions`` but as of the split date
        (``marts.recs_training_interactions``), the test purchases (person, product)
        made after it up to the run date (``marts.recs_holdout_purchases``), and the
        split date (None when both are empty).
    """
    train_sql = """
        select person_id, product_id, weight, purchase_count
        from marts.recs_training_interactions
        order by person_id, product_id
    """
    test_sql = """
        select person_id, product_id
        from marts.recs_holdout_purchases
        order by person_id, product_id
    """
    split_sql = """
        select max(split_date) as split_date from (
            select split_date from marts.recs_training_interactions
            union all
            select split_date from marts.recs_holdout_purchases
        ) as both_sides
    """
    return Split(
        _interaction_frame(db.read_arrow(train_sql, path=path)),
        _interaction_frame(db.read_arrow(test_sql, path=path)),
        db.read_arrow(split_sql, path=path).column(0)[0].as_py(),
    )


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
