"""Phone numbers in E.164, read with Google's libphonenumber (the ``phonenumbers`` port).

The one definition of a normalized phone in the project. dbt calls it through the
DuckDB functions :mod:`warehouse.dbt_plugin` registers (``phone_e164`` and
``phone_problem``, used by the ``normalize_phone`` macro in ``stg_crm__customers``),
and the export formats its hashed columns from what it returns, so the phone a person
is matched on is the same everywhere.

A number written internationally (a leading ``+`` or ``00``) is read as it stands; a
national number is read in the record's country (ISO 3166 alpha-2), with that
country's own rules: Italy keeps the leading 0 of a fixed line (``06 1234 5678`` is
``+390612345678``), the United Kingdom, Germany and the Netherlands drop their trunk
prefix 0 (``020 7031 3000`` in GB is ``+442070313000``). A number whose length is not
one the country's numbering plan allows is rejected with the reason (``+1509501405``:
too short for the United States), so it is neither texted nor hashed for matching.
The numbering plan's ranges (is the number assigned?) are not checked: they change
faster than the library's metadata, and an unassigned number merely fails to match.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

#: Why a written number is not a phone, by libphonenumber's parse error.
PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no valid country calling code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
#: Why a parsed number cannot be dialled from abroad, by its length check.
LENGTH_PROBLEMS = {
    ValidationResult.INVALID_COUNTRY_CODE: "no valid country calling code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "a length the country's numbering plan does not use",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without its area code",
}


@dataclass(frozen=True)
class Phone:
    """A written phone number, read.

    Attributes:
        e164: The number in E.164 (``+`` and digits, e.g. ``+442070313000``), or None.
        problem: Why the written value is not a usable number, or None (also None when
            nothing was written).
    """

    e164: str | None
    problem: str | None = None

    @property
    def digits(self) -> str | None:
        """E.164 without the ``+`` (how Meta wants a phone before hashing), or None."""
        return self.e164[1:] if self.e164 else None


def _region(country: str | None) -> str | None:
    """The libphonenumber region of an ISO 3166 alpha-2 code in any case, or None."""
    if country is None:
        return None
    region = country.strip().upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


@functools.lru_cache(maxsize=65536)
def normalize_phone(value: str | None, country: str | None = None) -> Phone:
    """Read a phone number as written in a source, in the record's country.

    Args:
        value: The number as delivered (any spacing, dashes, brackets, ``+`` or ``00``).
        country: The record's country (ISO 3166 alpha-2, any case) for a national number.

    Returns:
        The E.164 form, or None with the reason the value cannot be used.
    """
    if value is None or not value.strip():
        return Phone(None)
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = _region(country)
    if not text.startswith("+") and region is None:
        where = f"unknown country {country.strip()!r}" if country and country.strip() else "none"
        return Phone(None, f"a national number and no country to read it in ({where})")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return Phone(None, PARSE_PROBLEMS.get(exc.error_type, str(exc)))
    length = phonenumbers.is_possible_number_with_reason(number)
    if length != ValidationResult.IS_POSSIBLE:
        problem = LENGTH_PROBLEMS.get(length, "not a possible number")
        return Phone(None, f"{problem} for +{number.country_code}")
    return Phone(phonenumbers.format_number(number, PhoneNumberFormat.E164))
