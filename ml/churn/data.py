"""Reading the churn model's inputs from the marts (thin SQL over warehouse.db).

The labels and the scoring population are dbt models (marts.churn_training_examples,
marts.churn_scoring_population), tested and documented like every mart; this module
reads them and adds the category shares as feature columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ml.features import ID_COLUMN, read_with_category_shares
from warehouse import db

LABEL = "churned"


def load_training_frame(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """Labelled examples (``marts.churn_training_examples``): one row per (cutoff_date,
    person_id) with the features as of the cutoff and, last, ``churned``.

    The population at a cutoff is everyone with a revenue order in the year up to it;
    ``churned`` is true when that person has no revenue order in the dbt var
    ``churn_horizon_days`` after it. Only cutoffs whose horizon ends by ``run_date``.
    """
    return read_with_category_shares(
        "marts.churn_training_examples",
        keys=[ID_COLUMN, "cutoff_date"],
        run_date=run_date,
        cutoffs=(dt.date.min, run_date - dt.timedelta(days=1)),
        order_by=["cutoff_date", ID_COLUMN],
        head=f"rows.* exclude ({LABEL}, label_end_date)",
        tail=[LABEL],
        path=path,
    )


def load_horizon_days(path: Path | None = None) -> int | None:
    """The label horizon of the examples: days from a cutoff to the end of its label."""
    sql = "select max(label_end_date - cutoff_date) as days from marts.churn_training_examples"
    return db.read_arrow(sql, path=path).column(0)[0].as_py()


def load_scoring_frame(run_date: dt.date, path: Path | None = None) -> pd.DataFrame:
    """Today's feature vectors of everyone with a revenue order in the last year
    (``marts.churn_scoring_population``), with the category shares as of ``run_date``."""
    return read_with_category_shares(
        "marts.churn_scoring_population",
        keys=[ID_COLUMN],
        run_date=run_date,
        cutoffs=(run_date, run_date),
        order_by=[ID_COLUMN],
        path=path,
    )
