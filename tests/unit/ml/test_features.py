"""Category shares: the long form of the marts pivoted to the models' wide columns."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ml.features import category_column, category_columns, read_with_category_shares
from warehouse import db

RUN = dt.date(2026, 6, 30)
EARLIER = dt.date(2026, 5, 31)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Two people, three categories (one with an apostrophe), shares at two cutoffs."""
    path = tmp_path / "w.duckdb"
    with db.connect(path) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_products (product_id varchar, category varchar)")
        con.execute(
            "insert into marts.dim_products values "
            "('a', 'toys'), ('b', 'Kids'' Books'), ('c', 'garden'), ('d', null)"
        )
        con.execute(
            "create table marts.customer_category_shares "
            "(person_id varchar, cutoff_date date, category varchar, revenue_share double)"
        )
        con.execute(
            "insert into marts.customer_category_shares values "
            "('p1', ?, 'Kids'' Books', 0.25), ('p1', ?, 'toys', 0.75), "
            "('p2', ?, 'unknown', 1.0), ('p1', ?, 'garden', 1.0)",
            [RUN, RUN, RUN, EARLIER],
        )
        con.execute("create table marts.features (person_id varchar, tenure_days double)")
        con.execute("insert into marts.features values ('p2', 2.0), ('p1', 1.0)")
    return path


def test_category_columns_are_slugs() -> None:
    assert category_column("Kids' Books") == "category_share__kids_books"
    assert category_column("  Home & Garden ") == "category_share__home_garden"


def test_categories_whose_slugs_collide_or_vanish_get_distinct_columns() -> None:
    """Regression: a category named only in CJK, Arabic or emoji has an empty slug, and
    two categories with the same slug (``men's``, ``men-s``) shared a column name, so
    every model failed with "two categories have the same feature column name"."""
    categories = ["apparel", "men's", "men-s", "東京", "مرحبا", "🎉"]
    columns = category_columns(categories)
    assert columns[0] == "category_share__apparel"
    assert len(set(columns)) == len(categories)
    assert all(re.fullmatch("category_share__[a-z0-9_]+", c) for c in columns), columns
    assert columns[1] != columns[2]
    assert columns[1].startswith("category_share__men_s_")
    assert category_columns(list(reversed(categories))) == list(reversed(columns))


def test_shares_become_one_column_per_catalogue_category(path: Path) -> None:
    """Regression: category values were pasted into SQL, so an apostrophe broke the build.
    Here the name travels as a parameter; a category nobody bought reads 0, a category
    outside the catalogue (unknown) is no feature, and only the asked cutoff counts.
    Columns follow the categories' order in SQL (upper case sorts first)."""
    frame = read_with_category_shares(
        "marts.features", ["person_id"], RUN, (RUN, RUN), ["person_id"], path=path
    )
    assert list(frame.columns) == [
        "person_id",
        "tenure_days",
        "category_share__kids_books",
        "category_share__garden",
        "category_share__toys",
    ]
    assert frame.to_dict("records") == [
        {
            "person_id": "p1",
            "tenure_days": 1.0,
            "category_share__garden": 0.0,
            "category_share__kids_books": 0.25,
            "category_share__toys": 0.75,
        },
        {
            "person_id": "p2",
            "tenure_days": 2.0,
            "category_share__garden": 0.0,
            "category_share__kids_books": 0.0,
            "category_share__toys": 0.0,
        },
    ]


def test_shares_of_another_run_date_are_refused(path: Path) -> None:
    """Features pivoted from another night's shares would be silently wrong."""
    with pytest.raises(ValueError, match="built for run date 2026-06-30, not 2026-07-01"):
        read_with_category_shares(
            "marts.features",
            ["person_id"],
            dt.date(2026, 7, 1),
            (RUN, RUN),
            ["person_id"],
            path=path,
        )
