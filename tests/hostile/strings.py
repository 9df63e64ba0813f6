"""The hostile-strings fixture: values that break code pasting data into SQL, Jinja or CSV.

Each value is one a real export can carry: names with apostrophes and quotes, template
and comment syntax, spreadsheet formula triggers, scripts from right to left, emoji,
control characters inside quoted CSV fields and a 10,000-character value. None begins
or ends with a space, so trimming (the staging models' documented normalization) leaves
it as it is.
"""

from __future__ import annotations

import zlib


def _long_value() -> str:
    """A 10,000-character value mixing ASCII, accents, CJK and an emoji."""
    unit = "Long value with 'quotes', \"doubles\", é, 東京 and 🎉; "
    text = (unit * (10_000 // len(unit) + 1))[:9_999]
    return text + "."


#: Free-text values: each is written into every free-text field of every extract.
HOSTILE: tuple[str, ...] = (
    "O'Brien",
    "Children's",
    'Say "cheese"',
    "mixed 'single' and \"double\"",
    "back\\slash \\n \\' \\\\",
    "{{ var('run_date') }}",
    "{% if true %}jinja{% endif %}",
    "{# a note #} {{ ref('dim_customers') }}",
    "a -- comment",
    "x'); drop table raw.crm__customers; --",
    "semi;colon; /* block */",
    "Zoë Ñúñez-Åström",
    "東京都 渋谷区",
    "😀🛒 party 🎉👩‍👩‍👧",
    "\u200fمرحبا بالعالم\u200f",
    "\u202bשלום עולם\u202c",
    '=HYPERLINK("http://x.example","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    "line one\nline two",
    "carriage\rreturn inside",
    "crlf\r\ninside",
    "comma, inside, fields",
    "tab\tinside",
    "percent %s and $1 and ?",
    _long_value(),
)

#: Suffixes for identifiers (ids keep their own prefix, so they stay unique and never
#: start a spreadsheet formula); no line breaks and no long values: ids are keys.
ID_SUFFIXES: tuple[str, ...] = (
    "'",
    '"q"',
    "\\",
    "{{ x }}",
    "{% y %}",
    "--",
    ";",
    "é",
    "東",
    "😀",
    "\u200fش",
    "=1",
    "+@",
)

#: Email local-part prefixes that keep an address valid (RFC 5322 atext, RFC 6531
#: UTF-8), already lower-case so normalization leaves them as they are.
EMAIL_PREFIXES: tuple[str, ...] = (
    "o'brien.",
    "=cmd.",
    "+plus.",
    "-dash.",
    "{{x}}.",
    "{%y%}.",
    "a--b.",
    "zoë.",
    "東京.",
    "😀.",
)


def number(value: str) -> int:
    """A stable number for a value: its digits when it has some, else a checksum."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return int(digits) if digits else zlib.crc32(value.encode())


def hostile_for(key: str, field: str) -> str | None:
    """The hostile value for a field of a record, or None to keep the original.

    A function of the record's key and the field alone, so every delivery of a record
    (snapshots, re-deliveries, the same product in web events) carries the same value,
    and every second key gets one, spread over the whole fixture.
    """
    n = number(key)
    if n % 2:
        return None
    return HOSTILE[(n // 2 + zlib.crc32(field.encode())) % len(HOSTILE)]


def hostile_id(value: str) -> str:
    """An identifier with a hostile suffix for every second value; the same for a value."""
    n = number(value)
    if n % 2:
        return value
    return value + ID_SUFFIXES[(n // 2) % len(ID_SUFFIXES)]


def hostile_email(value: str, key: str) -> str:
    """The address with a hostile local-part prefix for every second key (spaces kept)."""
    n = number(key)
    if n % 2 or "@" not in value:
        return value
    stripped = value.lstrip(" ")
    lead = value[: len(value) - len(stripped)]
    return lead + EMAIL_PREFIXES[(n // 2) % len(EMAIL_PREFIXES)] + stripped
