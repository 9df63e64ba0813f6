"""Shared helpers for feature frames: column selection and a robust transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

ID_COLUMN = "person_id"


def numeric_columns(frame: pd.DataFrame, exclude: tuple[str, ...] = (ID_COLUMN,)) -> list[str]:
    """The numeric (non-boolean) feature columns of a frame, in frame order.

    The marts add feature columns over time (one share per category, for instance), so
    the models pick their inputs by type rather than from a fixed list.
    """
    return [
        column
        for column in frame.columns
        if column not in exclude
        and pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    ]


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas with numpy dtypes (decimals become floats)."""
    frame = table.to_pandas()
    for column in frame.columns:
        if frame[column].dtype == object and len(frame) and _is_decimal(frame[column]):
            frame[column] = frame[column].astype(float)
    return frame


def _is_decimal(series: pd.Series) -> bool:
    from decimal import Decimal

    first = series.dropna()
    return not first.empty and isinstance(first.iloc[0], Decimal)


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """sign(x)·log(1+|x|): tames counts and money with long tails, keeps the sign."""
    values = np.asarray(values, dtype=float)
    return np.sign(values) * np.log1p(np.abs(values))


def align(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The given columns of a frame as floats, a missing column reading as zero.

    A model trained before a new category appeared still scores today's frame.
    """
    return frame.reindex(columns=columns, fill_value=0.0).astype(float).fillna(0.0)
