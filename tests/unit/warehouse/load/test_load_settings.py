"""The loader's settings: the earliest accepted date and the schema-drift mode."""

from __future__ import annotations

import datetime as dt

import pytest

from warehouse.settings import load_settings


def test_loader_defaults() -> None:
    s = load_settings({})
    assert (s.load_earliest_date, s.load_schema_drift) == (dt.date(1970, 1, 1), "warn")


def test_loader_variables_override_and_are_checked() -> None:
    s = load_settings({"PZ_LOAD_EARLIEST_DATE": "1900-01-01", "PZ_LOAD_SCHEMA_DRIFT": "FAIL"})
    assert (s.load_earliest_date, s.load_schema_drift) == (dt.date(1900, 1, 1), "fail")
    with pytest.raises(ValueError, match="PZ_LOAD_EARLIEST_DATE"):
        load_settings({"PZ_LOAD_EARLIEST_DATE": "19000101"})
    with pytest.raises(ValueError, match="PZ_LOAD_SCHEMA_DRIFT"):
        load_settings({"PZ_LOAD_SCHEMA_DRIFT": "ignore"})
