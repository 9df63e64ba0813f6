"""Convert the public data sets to the extract contract, as a shop's first delivery.

Each adapter writes what a shop brings on its first day (docs/onboarding.md): one
history delivery, dated the day it was exported, holding the CRM snapshot, the product
catalogue and every order until then. The run dates the tests ask for lie before that
delivery date, so the warehouse must place every record by its own timestamps.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

CDNOW_DELIVERED = dt.date(1998, 7, 1)
ML100K_DELIVERED = dt.date(1998, 4, 23)

CUSTOMER_COLUMNS = ["customer_id", "gender", "postal_code", "created_at", "updated_at"]
PRODUCT_COLUMNS = ["product_id", "name", "category", "price", "is_active", "updated_at"]
ORDER_COLUMNS = ["order_id", "customer_id", "order_ts", "channel", "currency", "total", "status"]
ITEM_COLUMNS = ["order_id", "line_number", "product_id", "quantity", "unit_price"]


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cdnow_to_landing(sample: Path, landing: Path, delivered: dt.date = CDNOW_DELIVERED) -> int:
    """The CDNOW sample as one history delivery: customers, one product, orders, lines.

    ``CDNOW_sample.txt`` has one row per purchase: the master file's customer id, the
    sample's id (1-2357, the id of the package's summary), the day, the number of CDs
    and the amount in dollars. A purchase becomes an order at noon UTC of its day with
    one line of ``quantity`` CDs; the customer's record is created at their first
    purchase.

    Returns:
        The number of orders written.
    """
    first_seen: dict[str, dt.datetime] = {}
    orders: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    for line in sample.read_text().splitlines():
        if not line.strip():
            continue
        _, customer_id, day, cds, dollars = line.split()
        customer_id = str(int(customer_id))
        moment = dt.datetime.strptime(day + "12", "%Y%m%d%H").replace(tzinfo=dt.UTC)
        first_seen[customer_id] = min(first_seen.get(customer_id, moment), moment)
        per_day[(customer_id, day)] += 1
        order_id = f"cdnow-{customer_id}-{day}-{per_day[(customer_id, day)]}"
        quantity = max(int(cds), 1)
        orders.append(
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "order_ts": _ts(moment),
                "channel": "web",
                "currency": "USD",
                "total": dollars,
                "status": "delivered",
            }
        )
        items.append(
            {
                "order_id": order_id,
                "line_number": 1,
                "product_id": "cd",
                "quantity": quantity,
                "unit_price": f"{float(dollars) / quantity:.4f}",
            }
        )
    customers = [
        {"customer_id": cid, "created_at": _ts(seen), "updated_at": _ts(seen)}
        for cid, seen in sorted(first_seen.items(), key=lambda kv: int(kv[0]))
    ]
    catalogue_ts = _ts(dt.datetime(1997, 1, 1, tzinfo=dt.UTC))
    products = [
        {
            "product_id": "cd",
            "name": "Compact disc",
            "category": "Music",
            "price": "15.00",
            "is_active": "true",
            "updated_at": catalogue_ts,
        }
    ]
    folder = delivered.isoformat()
    _write(landing / "crm" / folder / "customers.csv", CUSTOMER_COLUMNS, customers)
    _write(landing / "shop" / folder / "products.csv", PRODUCT_COLUMNS, products)
    _write(landing / "shop" / folder / "orders.csv", ORDER_COLUMNS, orders)
    _write(landing / "shop" / folder / "order_items.csv", ITEM_COLUMNS, items)
    return len(orders)


def movielens_to_landing(folder: Path, landing: Path, delivered: dt.date = ML100K_DELIVERED) -> int:
    """MovieLens 100K as one history delivery: a rating is a one-line order.

    Users become CRM customers (gender and zip code kept, created at their first
    rating), movies become products (category: the first genre listed, so "Children's"
    and "Film-Noir" reach the warehouse as they are), and every rating an order of one
    copy of the movie at the instant it was rated. Ratings are interactions here, not
    judgements: a shop's purchase log has no stars.

    Returns:
        The number of orders (ratings) written.
    """
    users = _tsv(folder / "ml-100k.user")
    movies = _tsv(folder / "ml-100k.item")
    ratings = _tsv(folder / "ml-100k.inter")
    first_seen: dict[str, dt.datetime] = {}
    orders: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
    for row in ratings:
        moment = dt.datetime.fromtimestamp(int(float(row["timestamp"])), tz=dt.UTC)
        user = row["user_id"]
        first_seen[user] = min(first_seen.get(user, moment), moment)
        order_id = f"ml-{user}-{row['item_id']}"
        orders.append(
            {
                "order_id": order_id,
                "customer_id": user,
                "order_ts": _ts(moment),
                "channel": "web",
                "currency": "USD",
                "total": "3.00",
                "status": "delivered",
            }
        )
        items.append(
            {
                "order_id": order_id,
                "line_number": 1,
                "product_id": row["item_id"],
                "quantity": 1,
                "unit_price": "3.00",
            }
        )
    customers = [
        {
            "customer_id": user["user_id"],
            "gender": user["gender"],
            "postal_code": user["zip_code"],
            "created_at": _ts(first_seen[user["user_id"]]),
            "updated_at": _ts(first_seen[user["user_id"]]),
        }
        for user in users
        if user["user_id"] in first_seen
    ]
    catalogue_ts = _ts(dt.datetime(1997, 9, 1, tzinfo=dt.UTC))
    products = [
        {
            "product_id": movie["item_id"],
            "name": movie["movie_title"] or f"movie {movie['item_id']}",
            "category": (movie["class"].split() or ["unknown"])[0],
            "price": "3.00",
            "is_active": "true",
            "updated_at": catalogue_ts,
        }
        for movie in movies
    ]
    day = delivered.isoformat()
    _write(landing / "crm" / day / "customers.csv", CUSTOMER_COLUMNS, customers)
    _write(landing / "shop" / day / "products.csv", PRODUCT_COLUMNS, products)
    _write(landing / "shop" / day / "orders.csv", ORDER_COLUMNS, orders)
    _write(landing / "shop" / day / "order_items.csv", ITEM_COLUMNS, items)
    return len(orders)


def _tsv(path: Path) -> list[dict[str, str]]:
    """A RecBole atomic file: tab-separated, header fields ``name:type``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [field.split(":", 1)[0] for field in lines[0].split("\t")]
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]
