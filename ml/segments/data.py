"""Reading the segmentation inputs and the previous run's centroids (thin SQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ml.features import to_pandas
from warehouse import db

CENTROIDS_TABLE = "ml.segment_centroids"


def load_features(path: Path | None = None) -> pd.DataFrame:
    """``marts.customer_features``: one row per person, as of the run date it was built for."""
    return to_pandas(
        db.read_arrow("select * from marts.customer_features order by person_id", path=path)
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
