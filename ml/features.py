"""Shared helpers for feature frames: column selection, category shares, a robust transform."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from warehouse import db

ID_COLUMN = "person_id"
#: One feature per product category: the person's share of the last year's purchase
#: revenue in it, pivoted from the long form of marts.customer_category_shares.
CATEGORY_PREFIX = "category_share__"
SHARES_TABLE = "marts.customer_category_shares"


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


def category_column(category: str) -> str:
    """The feature column of a category: ``category_share__`` and its lower-case slug."""
    return CATEGORY_PREFIX + re.sub("[^a-z0-9]+", "_", category.lower()).strip("_")


def category_columns(categories: Sequence[str]) -> list[str]:
    """The feature column of each category, one distinct name per category.

    A category keeps its slug (``category_column``) unless the slug is empty (a name in
    a script other than Latin, or only emoji) or another category has the same slug
    (``Men's`` and ``mens``); those get the first eight hex digits of the SHA-256 of
    the category appended, so each name stays one valid, stable identifier.
    """
    slugs = [category_column(category) for category in categories]
    counts = Counter(slugs)
    columns = []
    for category, slug in zip(categories, slugs, strict=True):
        if slug == CATEGORY_PREFIX or counts[slug] > 1:
            digest = hashlib.sha256(category.encode("utf-8")).hexdigest()[:8]
            slug = f"{slug}_{digest}" if slug != CATEGORY_PREFIX else slug + digest
        columns.append(slug)
    return columns


def load_categories(path: Path | None = None) -> list[str]:
    """The catalogue's categories (``marts.dim_products``), in order: one feature each."""
    sql = "select distinct category from marts.dim_products where category is not null order by 1"
    return db.read_arrow(sql, path=path).column(0).to_pylist()


def read_with_category_shares(
    source: str,
    keys: Sequence[str],
    run_date: dt.date,
    cutoffs: tuple[dt.date, dt.date],
    order_by: Sequence[str],
    head: str = "rows.*",
    tail: Sequence[str] = (),
    path: Path | None = None,
) -> pd.DataFrame:
    """The rows of a mart with one ``category_share__<category>`` column per category.

    ``marts.customer_category_shares`` is long (person_id, cutoff_date, category,
    revenue_share); the models see it wide, as they always have: a column per catalogue
    category in category order, 0 where the person bought nothing in it. Category names
    travel as query parameters, never pasted into SQL, so any name is safe (an
    apostrophe included); column names are slugs of letters, digits and underscores.

    Args:
        source: The mart (``marts.<model>``), aliased ``rows`` in the query.
        keys: Its columns that match the shares' person_id (and cutoff_date).
        run_date: The run date the marts must have been built for.
        cutoffs: First and last cutoff date of the shares to join.
        order_by: The columns of ``rows`` to sort by.
        head: The select-list of ``rows`` before the share columns.
        tail: Columns of ``rows`` after the share columns.
        path: The DuckDB file; the configured warehouse when omitted.
    """
    check_shares_as_of(run_date, path)
    categories = load_categories(path)
    columns = category_columns(categories)
    if len(set(columns)) != len(columns):
        raise ValueError(f"two categories have the same feature column name: {categories}")
    pivots = [
        f"sum(case when category = $category_{i} then revenue_share end) as {column}"
        for i, column in enumerate(columns)
    ]
    select = [head, *(f"coalesce(shares.{c}, 0.0) as {c}" for c in columns)]
    select += [f"rows.{column}" for column in tail]
    sql = f"""
        with shares as (
            select {", ".join(["person_id", "cutoff_date", *pivots])}
            from {SHARES_TABLE}
            where cutoff_date between $shares_from and $shares_to
            group by person_id, cutoff_date
        )
        select {", ".join(select)}
        from {source} as rows
        left join shares on {" and ".join(f"shares.{k} = rows.{k}" for k in keys)}
        order by {", ".join(f"rows.{column}" for column in order_by)}
    """
    params = {f"category_{i}": category for i, category in enumerate(categories)}
    params |= {"shares_from": cutoffs[0], "shares_to": cutoffs[1]}
    return to_pandas(db.read_arrow(sql, params, path=path))


def check_shares_as_of(run_date: dt.date, path: Path | None = None) -> None:
    """Fail unless ``marts.customer_category_shares`` was built for ``run_date``.

    Its latest cutoff is the run date dbt built it for; features pivoted from another
    night's shares would be silently wrong.
    """
    latest = db.read_arrow(f"select max(cutoff_date) as d from {SHARES_TABLE}", path=path)
    built_for = latest.column(0)[0].as_py()
    if built_for is not None and built_for != run_date:
        raise ValueError(
            f"{SHARES_TABLE} was built for run date {built_for}, not {run_date}: "
            "run dbt for this run date first"
        )


RUN_DATES_TABLE = "meta.model_run_dates"


def check_built_for(
    run_date: dt.date, relations: tuple[str, ...], path: Path | None = None
) -> None:
    """Fail unless every relation was last built by dbt for ``run_date``.

    dbt records the run date of every model it builds (``meta.model_run_dates``, the
    project's on-run-end hook); a mart rebuilt for another date since tonight's build,
    or never recorded, would be scored under tonight's date with another day's data.

    Raises:
        ValueError: Names every relation built for another date, or not recorded.
    """
    built = []
    if db.table_exists(RUN_DATES_TABLE, path):
        built = db.read_arrow(
            f"select relation, run_date from {RUN_DATES_TABLE}",
            path=path,
        ).to_pylist()
    dates = {row["relation"]: row["run_date"] for row in built}
    wrong = [
        f"{relation} (built for {dates[relation]})"
        if relation in dates
        else f"{relation} (no run date recorded)"
        for relation in relations
        if dates.get(relation) != run_date
    ]
    if wrong:
        raise ValueError(
            f"the marts were not built for run date {run_date}: {', '.join(wrong)}; "
            f"run dbt build for {run_date} first (the nightly dbt_build_marts step does)"
        )


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
