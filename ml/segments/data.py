"""Reading the segmentation inputs and the previous run's centroids (thin SQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ml.features import ID_COLUMN, read_with_category_shares, to_pandas
from warehouse import db

CENTROIDS_TABLE = "ml.segment_centroids"


#: The features and the ratios of marts.customer_behaviour, one row per person.
_FEATURES_AND_BEHAVIOUR = """(
    select features.*, behaviour.* exclude (person_id)
    from marts.customer_features as features
    left join marts.customer_behaviour as behaviour using (person_id)
)"""


def load_features(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """``marts.customer_features`` and ``marts.customer_behaviour`` with the category
    shares as of ``run_date``.

    One row per person: the feature columns, the behaviour ratios (missing where there
    is nothing to divide), then one ``category_share__<category>`` column per catalogue
    category.
    """
    return read_with_category_shares(
        _FEATURES_AND_BEHAVIOUR,
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
