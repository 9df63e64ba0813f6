"""Export profiles: each marketing tool's import format, column by column.

An audience names its profiles in ``_audiences__models.yml`` (``meta.audience.profiles``).
``generic`` is the audience's own files (``<name>.parquet`` and ``<name>.csv``, the
declared columns); every other profile writes ``<name>.<profile>.csv`` with the header,
column order and values that tool documents (sources in docs/exports.md). Values come
from the audience table's columns, already normalized and hashed by dbt
(``int_audience_candidates_joined``); a profile only renames, orders and adds the
constant consent column a tool records.

A profile that lists a minimum audience size makes the manifest and the run summary
warn when a file holds fewer rows (the platform would not serve it, or advises against
it).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The profile of the audience's own files.
GENERIC = "generic"


@dataclass(frozen=True)
class Field:
    """One column of a profile's file.

    Attributes:
        header: The header the tool expects.
        column: The audience table's column it holds (None for a constant).
        value: The constant it holds when ``column`` is None (a consent status).
    """

    header: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Profile:
    """A tool's import format.

    Attributes:
        name: As audiences name it in ``profiles``.
        tool: The tool, for people.
        fields: Per channel, the leading columns in order; the first is the tool's key
            and must be among the audience's columns.
        passthrough: Whether the audience's other columns follow, under their own names
            (personalization tokens and our ids for an email tool; never for ads).
        min_rows: The documented minimum list size, or None.
        min_rows_note: What that minimum is, in the platform's words.
    """

    name: str
    tool: str
    fields: dict[str, tuple[Field, ...]]
    passthrough: bool = True
    min_rows: int | None = None
    min_rows_note: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels the profile serves."""
        return tuple(self.fields)


def _ids() -> tuple[Field, ...]:
    return (Field("customer_id", "customer_id"), Field("person_id", "person_id"))


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="klaviyo",
            tool="Klaviyo",
            fields={
                "email": (
                    Field("Email Address", "email"),
                    Field("First Name", "first_name"),
                    Field("Last Name", "last_name"),
                    Field("Country", "country"),
                    Field("Email Marketing Consent", value="Subscribed"),
                    *_ids(),
                ),
                "sms": (
                    Field("Phone Number", "phone"),
                    Field("First Name", "first_name"),
                    Field("Last Name", "last_name"),
                    Field("Country", "country"),
                    Field("SMS Marketing Consent", value="Subscribed"),
                    *_ids(),
                ),
            },
        ),
        Profile(
            name="mailchimp",
            tool="Mailchimp",
            fields={
                "email": (
                    Field("Email Address", "email"),
                    Field("First Name", "first_name"),
                    Field("Last Name", "last_name"),
                    Field("Country", "country"),
                    *_ids(),
                ),
            },
        ),
        Profile(
            name="braze",
            tool="Braze",
            fields={
                "email": (
                    Field("external_id", "customer_id"),
                    Field("email", "email"),
                    Field("first_name", "first_name"),
                    Field("last_name", "last_name"),
                    Field("country", "country"),
                    Field("email_subscribe", value="opted_in"),
                    Field("person_id", "person_id"),
                ),
                "sms": (
                    Field("external_id", "customer_id"),
                    Field("phone", "phone"),
                    Field("first_name", "first_name"),
                    Field("last_name", "last_name"),
                    Field("country", "country"),
                    Field("person_id", "person_id"),
                ),
            },
        ),
        Profile(
            name="google_customer_match",
            tool="Google Ads Customer Match",
            fields={
                "ads": (
                    Field("Email", "email_sha256"),
                    Field("Phone", "phone_sha256"),
                    Field("First Name", "first_name_sha256"),
                    Field("Last Name", "last_name_sha256"),
                    Field("Country", "country"),
                    Field("Zip", "postal_code"),
                ),
            },
            passthrough=False,
            min_rows=1000,
            min_rows_note=(
                "Google Ads serves a Customer Match list on Search and YouTube from 1,000 "
                "matched members (100 active users on every network since 2024), and "
                "typically matches 30-70% of an upload"
            ),
        ),
        Profile(
            name="meta_custom_audience",
            tool="Meta custom audience (customer list)",
            fields={
                "ads": (
                    Field("email", "email_sha256"),
                    Field("phone", "meta_phone_sha256"),
                    Field("fn", "meta_first_name_sha256"),
                    Field("ln", "meta_last_name_sha256"),
                    Field("zip", "meta_postal_code_sha256"),
                    Field("ct", "meta_city_sha256"),
                    Field("st", "meta_region_sha256"),
                    Field("country", "meta_country_sha256"),
                ),
            },
            passthrough=False,
            min_rows=100,
            min_rows_note="Meta advises against customer lists of fewer than 100 people",
        ),
    )
}
KNOWN = (GENERIC, *PROFILES)


def profile(name: str) -> Profile:
    """The profile of that name; KeyError for an unknown one."""
    return PROFILES[name]


def cells(profile: Profile, channel: str, columns: tuple[str, ...]) -> list[Field]:
    """The profile's columns for an audience with these columns, in file order.

    Leading fields whose column the audience does not carry are left out, except the
    first (the tool's key), which must be there.

    Raises:
        ValueError: The profile does not serve the channel, or the key is missing.
    """
    if channel not in profile.fields:
        raise ValueError(f"profile {profile.name} serves {profile.channels}, not {channel}")
    fields = profile.fields[channel]
    if fields[0].column not in columns:
        raise ValueError(f"profile {profile.name} needs column {fields[0].column}")
    chosen = [f for f in fields if f.column is None or f.column in columns]
    if profile.passthrough:
        used = {f.column for f in chosen}
        chosen += [Field(c, c) for c in columns if c not in used]
    return chosen


def below_minimum(profile: Profile, rows: int) -> str | None:
    """The warning for a file under the platform's documented minimum, or None."""
    if profile.min_rows is None or rows >= profile.min_rows:
        return None
    return (
        f"{rows:,} rows, below {profile.tool}'s minimum of {profile.min_rows:,}: "
        f"{profile.min_rows_note}"
    )
