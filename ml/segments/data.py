"""Reading the segmentation inputs and the previous run's centroids (thin SQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ml.features import ID_COLUMN, read_with_category_shares, to_pandas
from warehouse import db

CENTROIDS_TABLE = "ml.segment_centroids"


def load_features(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """``marts.customer_features`` with the category shares as of ``run_date``.

    One row per person: the feature columns, then one ``category_share__<category>``
    column per catalogue category.
    """
    return read_with_category_shares(
        "marts.customer_features",
        keys=[ID_COLUMN],
        run_date=run_date,
        cutoffs=(run_date, run_date),
        order_by=[ID_COLUMN],
        path=path,
    )


def load_previous_centroids(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """The centroids of the latest earlier run (segment_id, segment_name, feature, value).

    Empty when there is none yet (the first run).
    """
    sql = f"""
        select segment_id, segment_name, feature, value
        from {CENTROIDS_TABLE}
        where run_date = (select max(run_date) from {CENTROIDS_TABLE} where run_date < $run_date)
        order by segment_id, feature
    """
    return to_pandas(db.read_arrow(sql, {"run_date": run_date}, path=path))
