"""The source extract contract (v1), in one place.

The loader validates against it, the sample generator writes to it, and the tests
check both. ``docs/extract_contract.md`` is the human-readable version of the same
table; change both together.

Types are DuckDB logical types. Timestamps are ``TIMESTAMPTZ`` so ISO 8601 values
with an offset are kept as the instant they name; the warehouse session runs in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT_VERSION = "v1"

#: File endings the loader accepts, mapped to the reader that handles them.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".parquet": "parquet",
}


@dataclass(frozen=True)
class Column:
    """One contract column.

    Attributes:
        name: Column name as the contract spells it (matched case-insensitively).
        type: DuckDB type the value must cast to.
        required: A row with no value here is rejected.
        accepted: If set, a non-null value outside this set is rejected.
        min_value: If set, a numeric value below it is rejected.
    """

    name: str
    type: str = "VARCHAR"
    required: bool = False
    accepted: tuple[str, ...] | None = None
    min_value: float | None = None


@dataclass(frozen=True)
class Entity:
    """One source entity: where its files live and what they must hold.

    Attributes:
        source: Source system folder (``crm``, ``shop`` …).
        name: Entity file stem (``customers``, ``orders`` …).
        kind: ``snapshot`` (each delivery is the full table) or ``incremental``.
        required: The pipeline cannot run without this entity.
        columns: The contract columns, in contract order.
        one_of: Groups of columns of which at least one must be present per row.
        record_key: The columns that identify a record; the loader reports rows of one file
            that repeat a key (empty: the entity has no key).
        identifiers: What ties a row to a person, as (identifier type, DuckDB
            expression over the raw row) pairs: an erasure deletes the rows where any
            of them is an erased person's (warehouse/privacy/erase.py).
    """

    source: str
    name: str
    kind: str
    required: bool
    columns: tuple[Column, ...]
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    record_key: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> str:
        """Raw table name, ``<source>__<entity>``."""
        return f"{self.source}__{self.name}"

    @property
    def key(self) -> str:
        """``source/entity`` as written in the contract."""
        return f"{self.source}/{self.name}"

    def column(self, name: str) -> Column:
        """Look up a column by case-insensitive name."""
        for col in self.columns:
            if col.name.lower() == name.lower():
                return col
        raise KeyError(f"{self.key} has no column {name!r}")


ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
EMAIL_EVENT_TYPES = ("sent", "delivered", "open", "click", "bounce", "unsubscribe", "spam_report")
CONSENT_CHANNELS = ("email", "sms", "ads", "personalization")
WEB_EVENT_TYPES = ("track", "identify", "page")
WEB_TRACK_EVENTS = (
    "Product Viewed",
    "Product Added",
    "Product Removed",
    "Cart Viewed",
    "Checkout Started",
    "Order Completed",
    "Products Searched",
)

C = Column
ENTITIES: tuple[Entity, ...] = (
    Entity(
        "crm",
        "customers",
        "snapshot",
        True,
        (
            C("customer_id", required=True),
            C("email"),
            C("phone"),
            C("first_name"),
            C("last_name"),
            C("birth_date", "DATE"),
            C("gender"),
            C("city"),
            C("region"),
            C("country"),
            C("postal_code"),
            C("loyalty_id"),
            C("created_at", "TIMESTAMPTZ", required=True),
            C("updated_at", "TIMESTAMPTZ", required=True),
        ),
        record_key=("customer_id",),
        identifiers=(
            ("customer_id", "customer_id"),
            ("email", "email"),
            ("loyalty_id", "loyalty_id"),
        ),
    ),
    Entity(
        "shop",
        "products",
        "snapshot",
        True,
        (
            C("product_id", required=True),
            C("name", required=True),
            C("category", required=True),
            C("subcategory"),
            C("brand"),
            C("price", "DOUBLE", required=True, min_value=0),
            C("is_active", "BOOLEAN"),
            C("updated_at", "TIMESTAMPTZ"),
        ),
        record_key=("product_id",),
    ),
    Entity(
        "shop",
        "orders",
        "incremental",
        True,
        (
            C("order_id", required=True),
            C("customer_id", required=True),
            C("order_ts", "TIMESTAMPTZ", required=True),
            C("channel", accepted=("web", "app")),
            C("currency"),
            C("subtotal", "DOUBLE", min_value=0),
            C("discount", "DOUBLE", min_value=0),
            C("shipping", "DOUBLE", min_value=0),
            C("total", "DOUBLE", required=True, min_value=0),
            C("status", required=True, accepted=ORDER_STATUSES),
            C("updated_at", "TIMESTAMPTZ"),
        ),
        record_key=("order_id",),
        identifiers=(("customer_id", "customer_id"), ("order_id", "order_id")),
    ),
    Entity(
        "shop",
        "order_items",
        "incremental",
        True,
        (
            C("order_id", required=True),
            C("line_number", "INTEGER", required=True, min_value=1),
            C("product_id", required=True),
            C("quantity", "INTEGER", required=True, min_value=1),
            C("unit_price", "DOUBLE", required=True, min_value=0),
        ),
        record_key=("order_id", "line_number"),
        identifiers=(("order_id", "order_id"),),
    ),
    Entity(
        "pos",
        "transactions",
        "incremental",
        False,
        (
            C("transaction_id", required=True),
            C("line_number", "INTEGER", required=True, min_value=1),
            C("store_id", required=True),
            C("loyalty_id"),
            C("transaction_ts", "TIMESTAMPTZ", required=True),
            C("product_id", required=True),
            C("quantity", "INTEGER", required=True, min_value=1),
            C("unit_price", "DOUBLE", required=True, min_value=0),
        ),
        record_key=("transaction_id", "line_number"),
        identifiers=(("loyalty_id", "loyalty_id"),),
    ),
    Entity(
        "web",
        "events",
        "incremental",
        False,
        (
            C("messageId", required=True),
            C("type", required=True, accepted=WEB_EVENT_TYPES),
            C("event"),
            C("anonymousId"),
            C("userId"),
            C("timestamp", "TIMESTAMPTZ", required=True),
            C("properties", "JSON"),
            C("traits", "JSON"),
            C("context", "JSON"),
        ),
        one_of=(("anonymousId", "userId"),),
        record_key=("messageId",),
        identifiers=(
            ("customer_id", '"userId"'),
            ("anonymous_id", '"anonymousId"'),
            ("email", "json_extract_string(traits, '$.email')"),
        ),
    ),
    Entity(
        "email",
        "email_events",
        "incremental",
        False,
        (
            C("event_id", required=True),
            C("message_id"),
            C("campaign_id", required=True),
            C("customer_id"),
            C("email"),
            C("event_type", required=True, accepted=EMAIL_EVENT_TYPES),
            C("event_ts", "TIMESTAMPTZ", required=True),
            C("url"),
        ),
        record_key=("event_id",),
        identifiers=(("customer_id", "customer_id"), ("email", "email")),
    ),
    Entity(
        "privacy",
        "consent",
        "incremental",
        False,
        (
            C("customer_id"),
            C("email"),
            C("channel", required=True, accepted=CONSENT_CHANNELS),
            C("status", required=True, accepted=("granted", "revoked")),
            C("recorded_at", "TIMESTAMPTZ", required=True),
            C("source"),
        ),
        one_of=(("customer_id", "email"),),
        identifiers=(("customer_id", "customer_id"), ("email", "email")),
    ),
    Entity(
        "privacy",
        "erasure_requests",
        "incremental",
        False,
        (
            C("request_id", required=True),
            C("customer_id"),
            C("email"),
            C("requested_at", "TIMESTAMPTZ", required=True),
        ),
        one_of=(("customer_id", "email"),),
        record_key=("request_id",),
    ),
)
del C

#: Metadata columns the loader adds to every raw table, in order.
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_extract_date", "DATE"),
    ("_loaded_at", "TIMESTAMPTZ"),
    ("_row_number", "BIGINT"),
)


def entity(source: str, name: str) -> Entity:
    """Return the contract entity for ``source/name``."""
    for ent in ENTITIES:
        if ent.source == source and ent.name == name:
            return ent
    raise KeyError(f"no entity {source}/{name} in the extract contract")
