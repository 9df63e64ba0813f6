"""Phone numbers read with libphonenumber: one definition, per-country rules, reasons."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.dbt_plugin import register
from warehouse.phones import normalize_phone


@pytest.mark.parametrize(
    ("written", "country", "e164"),
    [
        # Italy: the leading 0 of a fixed line is part of the number, at home and abroad.
        ("06 1234 5678", "IT", "+390612345678"),
        ("+39 06 1234 5678", None, "+390612345678"),
        ("0039 06 1234 5678", "IT", "+390612345678"),
        ("347 123 4567", "it", "+393471234567"),
        # United Kingdom: the trunk 0 goes.
        ("020 7031 3000", "GB", "+442070313000"),
        ("+44 (0)20 7031 3000", "GB", "+442070313000"),
        ("07700 900123", "GB", "+447700900123"),
        # United States: ten digits, no trunk prefix.
        ("(212) 565-0000", "US", "+12125650000"),
        ("+1 212-565-0000", None, "+12125650000"),
        ("1 212 565 0000", "US", "+12125650000"),
        # Germany and the Netherlands: the trunk 0 goes.
        ("030 123456", "DE", "+4930123456"),
        ("+49 30 123456", "DE", "+4930123456"),
        ("020 123 4567", "NL", "+31201234567"),
        ("06 12345678", " nl ", "+31612345678"),
        # An international number is read as written, whatever the record's country.
        ("+44 20 7031 3000", "US", "+442070313000"),
    ],
)
def test_numbers_are_read_with_their_countrys_rules(
    written: str, country: str | None, e164: str
) -> None:
    """Regression: the leading 0 was dropped for every country (wrong for Italy)."""
    phone = normalize_phone(written, country)
    assert (phone.e164, phone.problem) == (e164, None)
    assert phone.digits == e164[1:]


@pytest.mark.parametrize(
    ("written", "country", "problem"),
    [
        ("+1509501405", None, "too short for +1"),
        ("+1 509 501 40567", None, "too long for +1"),
        ("0612", "IT", "too short"),
        ("hello", "GB", "not a phone number"),
        ("+999 12345678", None, "no valid country calling code"),
        ("020 7031 3000", None, "a national number and no country to read it in (none)"),
        ("020 7031 3000", "XX", "a national number and no country to read it in"),
        ("+44 20 7031 3000 1234 5678 9012", None, "too long"),
    ],
)
def test_impossible_numbers_are_rejected_with_a_reason(
    written: str, country: str | None, problem: str
) -> None:
    """Regression: lengths were not validated (``+1509501405`` passed as E.164)."""
    phone = normalize_phone(written, country)
    assert phone.e164 is None
    assert phone.problem is not None and phone.problem.startswith(problem), phone.problem


@pytest.mark.parametrize("written", [None, "", "   "])
def test_no_phone_is_no_problem(written: str | None) -> None:
    assert normalize_phone(written, "GB") == normalize_phone(None)
    assert normalize_phone(written, "GB").problem is None


def test_dbt_gets_the_same_reading_as_python() -> None:
    """The SQL functions dbt calls (phone_e164, phone_problem) are this module, null-safe."""
    rows = [
        ("06 1234 5678", "it"),
        ("+1509501405", None),
        (None, "GB"),
        ("020 7031 3000", None),
        ("(212) 565-0000", "US"),
    ]
    con = duckdb.connect()
    register(con)
    con.execute("create table t (phone varchar, country varchar)")
    con.executemany("insert into t values (?, ?)", rows)
    got = con.execute(
        "select phone_e164(phone, country), phone_problem(phone, country) from t order by rowid"
    ).fetchall()
    assert got == [(normalize_phone(*r).e164, normalize_phone(*r).problem) for r in rows]
    assert got[0] == ("+390612345678", None)
    assert got[1] == (None, "too short for +1")
