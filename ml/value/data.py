"""Reading the customer value inputs (thin SQL)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.features import ID_COLUMN, to_pandas
from ml.value.model import SUMMARY_COLUMNS
from warehouse import db


def load_summary(path: Path | None = None) -> pd.DataFrame:
    """The BTYD summary of everyone with a revenue order (``marts.customer_rfm``).

    One row per person: person_id and the ``btyd_`` columns (days and the shop's
    currency), as of the run date the mart was built for.
    """
    columns = ", ".join(f"cast({c} as double) as {c}" for c in SUMMARY_COLUMNS)
    return to_pandas(
        db.read_arrow(
            f"select {ID_COLUMN}, {columns} from marts.customer_rfm order by {ID_COLUMN}",
            path=path,
        )
    )
