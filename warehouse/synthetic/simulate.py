"""Simulate a shop's customers and what they do, as columnar arrays.

The generative model (documented for analysts in ``warehouse/synthetic/__init__.py``):
each person has a persona that sets their purchase rate, dropout hazard, browsing rate,
device, email engagement and category tastes; orders follow a Poisson process while
the person is alive (a Buy-Till-You-Die process), so the true churn probability at the
end date is known in closed form. Everything is vectorised with numpy per chunk of
people, each chunk with its own generator seeded from ``(seed, chunk)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

HORIZON_DAYS = 90
CATEGORIES = (
    "apparel",
    "shoes",
    "beauty",
    "home",
    "kitchen",
    "electronics",
    "sports",
    "toys",
    "books",
    "garden",
    "pets",
    "grocery",
)
SUBCATEGORIES_PER_CATEGORY = 4
TASTE_CLUSTERS = 24
CONSENT_CHANNELS = ("email", "sms", "ads", "personalization")
CONSENT_GRANT_P = (0.85, 0.35, 0.55, 0.75)
CONSENT_REVOKE_P = 0.03
COUNTRIES = ("GB", "DE", "FR", "NL", "US", "ES", "IT", "IE")
CITIES = {
    "GB": ("London", "Manchester", "Leeds"),
    "DE": ("Berlin", "Hamburg", "Munich"),
    "FR": ("Paris", "Lyon", "Lille"),
    "NL": ("Amsterdam", "Utrecht", "Rotterdam"),
    "US": ("New York", "Austin", "Seattle"),
    "ES": ("Madrid", "Valencia", "Seville"),
    "IT": ("Milan", "Rome", "Turin"),
    "IE": ("Dublin", "Cork", "Galway"),
}
DIAL = {
    "GB": "44",
    "DE": "49",
    "FR": "33",
    "NL": "31",
    "US": "1",
    "ES": "34",
    "IT": "39",
    "IE": "353",
}
FIRST_NAMES = (
    "Olivia", "Noah", "Amelia", "Liam", "Isla", "Lucas", "Mia", "Leon", "Emma", "Hugo",
    "Sofia", "Mateo", "Freya", "Finn", "Chloe", "Jonas", "Lea", "Oscar", "Alice", "Luca",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Muller", "Schmidt", "Martin", "Bernard", "de Vries", "Jansen",
    "Garcia", "Lopez", "Rossi", "Russo", "Murphy", "Kelly", "Brown", "Taylor",
)  # fmt: skip
DEVICES = ("desktop", "mobile", "tablet")


@dataclass(frozen=True)
class Persona:
    """Behavioural parameters of one persona (rates per day)."""

    name: str
    share: float
    order_rate: float
    dropout_hazard: float
    session_rate: float
    views_per_session: float
    basket_items: float
    price_level: float
    open_rate: float
    device_p: tuple[float, float, float]
    store_share: float
    app_share: float


PERSONAS: tuple[Persona, ...] = (
    Persona("loyal_high_value", 0.12, 1 / 16, 0.0004, 0.07, 4.0, 2.6, 1.6, 0.55, (0.6, 0.3, 0.1), 0.25, 0.4),  # noqa: E501
    Persona("bargain_hunter", 0.22, 1 / 35, 0.0012, 0.06, 6.0, 1.8, 0.6, 0.30, (0.2, 0.7, 0.1), 0.10, 0.3),  # noqa: E501
    Persona("window_shopper", 0.24, 1 / 150, 0.0010, 0.08, 7.0, 1.2, 1.0, 0.15, (0.3, 0.6, 0.1), 0.05, 0.2),  # noqa: E501
    Persona("new_customer", 0.14, 1 / 30, 0.0025, 0.05, 4.0, 1.8, 1.0, 0.35, (0.4, 0.5, 0.1), 0.15, 0.3),  # noqa: E501
    Persona("lapsing", 0.18, 1 / 28, 0.0110, 0.04, 4.0, 1.8, 1.0, 0.20, (0.4, 0.5, 0.1), 0.15, 0.2),  # noqa: E501
    Persona("store_loyalist", 0.10, 1 / 22, 0.0008, 0.01, 2.0, 2.4, 1.1, 0.25, (0.7, 0.2, 0.1), 0.95, 0.0),  # noqa: E501
)  # fmt: skip
PERSONA_NAMES = tuple(p.name for p in PERSONAS)


def _epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


@dataclass(frozen=True)
class World:
    """Fixed facts shared by every chunk: dates and the product catalogue."""

    start_day: int
    end_day: int
    products: pa.Table
    product_subcat: np.ndarray
    product_price: np.ndarray
    subcat_cum: np.ndarray
    subcat_offsets: np.ndarray
    store_count: int
    cluster_categories: np.ndarray
    cluster_subcategories: np.ndarray
    persona_category_bias: np.ndarray

    @property
    def days(self) -> int:
        """Number of simulated days up to and including the end date."""
        return self.end_day - self.start_day + 1


def make_world(customers: int, days: int, end_date: dt.date, seed: int) -> World:
    """Build the catalogue: categories, subcategories, long-tail popularity, prices."""
    rng = np.random.default_rng([seed, 0])
    n_products = int(min(max(customers // 50, 200), 20_000))
    n_sub = len(CATEGORIES) * SUBCATEGORIES_PER_CATEGORY
    subcat = np.sort(rng.integers(0, n_sub, n_products))
    subcat[:n_sub] = np.arange(n_sub)  # every subcategory has at least one product
    subcat = np.sort(subcat)
    category = subcat // SUBCATEGORIES_PER_CATEGORY
    base_price = np.array([35, 60, 20, 45, 30, 180, 50, 25, 15, 40, 22, 8], dtype=float)
    price = np.round(base_price[category] * rng.lognormal(0, 0.5, n_products), 2) + 0.99
    price = np.round(price, 2)
    # Zipf-like popularity inside each subcategory.
    popularity = 1.0 / (1 + rng.permutation(n_products)) ** 0.9
    offsets = np.searchsorted(subcat, np.arange(n_sub + 1))
    cum = np.empty(n_products)
    for s in range(n_sub):
        lo, hi = offsets[s], offsets[s + 1]
        w = np.cumsum(popularity[lo:hi])
        cum[lo:hi] = s + w / w[-1]
    is_active = rng.random(n_products) > 0.04
    brands = np.array([f"Brand {chr(65 + i)}" for i in range(12)])
    ids = np.array([f"P{i:06d}" for i in range(n_products)])
    products = pa.table(
        {
            "product_id": ids,
            "name": [f"{CATEGORIES[c].title()} item {i}" for i, c in enumerate(category)],
            "category": np.array(CATEGORIES)[category],
            "subcategory": [
                f"{CATEGORIES[c]}-{s % SUBCATEGORIES_PER_CATEGORY + 1}"
                for c, s in zip(category, subcat, strict=True)
            ],
            "brand": brands[rng.integers(0, len(brands), n_products)],
            "price": price,
            "is_active": is_active,
        }
    )
    # Taste clusters: each has two favourite categories and a favourite subcategory per
    # category, so people of one cluster buy from the same corners of the catalogue.
    n_cat = len(CATEGORIES)
    cluster_categories = np.stack(
        [rng.choice(n_cat, 2, replace=False) for _ in range(TASTE_CLUSTERS)]
    )
    cluster_subcategories = rng.integers(0, SUBCATEGORIES_PER_CATEGORY, (TASTE_CLUSTERS, n_cat))
    # Persona tilt: premium buyers lean to electronics and apparel, bargain hunters to
    # grocery, toys and home, store regulars to grocery and garden.
    bias = np.ones((len(PERSONAS), n_cat))
    for persona, cats in {
        "loyal_high_value": ("electronics", "apparel", "beauty"),
        "bargain_hunter": ("grocery", "toys", "home"),
        "window_shopper": ("shoes", "apparel", "electronics"),
        "store_loyalist": ("grocery", "garden", "kitchen"),
    }.items():
        for cat in cats:
            bias[PERSONA_NAMES.index(persona), CATEGORIES.index(cat)] = 2.5
    end_day = _epoch_day(end_date)
    return World(
        start_day=end_day - days + 1,
        end_day=end_day,
        products=products,
        product_subcat=subcat,
        product_price=price,
        subcat_cum=cum,
        subcat_offsets=offsets,
        store_count=max(3, min(60, customers // 2000)),
        cluster_categories=cluster_categories,
        cluster_subcategories=cluster_subcategories,
        persona_category_bias=bias / bias.sum(1, keepdims=True),
    )


def _sample_products(world: World, rng: np.random.Generator, subcat: np.ndarray) -> np.ndarray:
    """Draw a product from each given subcategory by its popularity."""
    u = subcat + rng.random(len(subcat)) * 0.999999
    idx = np.searchsorted(world.subcat_cum, u, side="right")
    return np.minimum(idx, world.subcat_offsets[subcat + 1] - 1)


@dataclass
class Chunk:
    """Everything one chunk of people did, as arrow tables keyed by person index."""

    people: pa.Table
    orders: pa.Table
    lines: pa.Table
    sessions: pa.Table
    views: pa.Table
    emails: pa.Table


def simulate_chunk(world: World, first: int, count: int, seed: int, chunk: int) -> Chunk:
    """Simulate people ``first .. first + count - 1`` from signup to end date + horizon."""
    rng = np.random.default_rng([seed, 1, chunk])
    n = count
    pidx = np.arange(first, first + n)
    shares = np.array([p.share for p in PERSONAS])
    persona = rng.choice(len(PERSONAS), n, p=shares / shares.sum())
    par = {f: np.array([getattr(p, f) for p in PERSONAS])[persona] for f in (
        "order_rate", "dropout_hazard", "session_rate", "views_per_session", "basket_items",
        "price_level", "open_rate", "store_share", "app_share")}  # fmt: skip
    # Signup: new customers joined in the last 60 days; others up to three years back.
    is_new = persona == PERSONA_NAMES.index("new_customer")
    signup = np.where(
        is_new,
        world.end_day - rng.integers(0, 60, n),
        world.end_day - rng.integers(30, 3 * 365, n),
    )
    # History is simulated from whichever is later: signup or one year before the data.
    sim_from = np.maximum(signup, world.start_day - 365)
    lam = par["order_rate"] * rng.gamma(3.0, 1 / 3.0, n)
    hazard = par["dropout_hazard"] * rng.lognormal(0, 0.4, n)
    lifetime = rng.exponential(1 / hazard)
    dropout = sim_from + lifetime
    alive_at_end = dropout > world.end_day + 1
    # P(no order in the horizon | alive now) for a Poisson buyer with exponential dropout.
    k = lam + hazard
    p_quiet_alive = hazard / k * (1 - np.exp(-k * HORIZON_DAYS)) + np.exp(-k * HORIZON_DAYS)
    churn_probability = np.where(alive_at_end, p_quiet_alive, 1.0)
    sim_to = world.end_day + 1 + HORIZON_DAYS
    active_until = np.minimum(dropout, sim_to)
    span = np.maximum(active_until - sim_from, 0)

    # Tastes: the persona's category tilt, the taste cluster's two favourite categories
    # and subcategories, and individual noise on top.
    cluster = rng.integers(0, TASTE_CLUSTERS, n)
    fav = world.cluster_categories[cluster]
    pref = 0.5 * world.persona_category_bias[persona] + rng.dirichlet(
        np.full(len(CATEGORIES), 0.3), n
    )
    pref[np.arange(n), fav[:, 0]] += 1.5
    pref[np.arange(n), fav[:, 1]] += 0.8
    pref /= pref.sum(1, keepdims=True)
    pref_cum = np.cumsum(pref, 1)
    fav_sub = np.where(
        rng.random((n, len(CATEGORIES))) < 0.85,
        world.cluster_subcategories[cluster],
        rng.integers(0, SUBCATEGORIES_PER_CATEGORY, (n, len(CATEGORIES))),
    )

    def pick_products(owner: np.ndarray) -> np.ndarray:
        cat = (pref_cum[owner] < rng.random(len(owner))[:, None]).sum(1)
        cat = np.minimum(cat, len(CATEGORIES) - 1)
        sub = np.where(
            rng.random(len(owner)) < 0.75,
            fav_sub[owner, cat],
            rng.integers(0, SUBCATEGORIES_PER_CATEGORY, len(owner)),
        )
        return _sample_products(world, rng, cat * SUBCATEGORIES_PER_CATEGORY + sub)

    # Orders: Poisson while alive.
    n_orders = rng.poisson(lam * span)
    o_owner = np.repeat(np.arange(n), n_orders)
    o_time = sim_from[o_owner] + rng.random(len(o_owner)) * span[o_owner]
    o_day = np.floor(o_time).astype(np.int64)
    o_store = rng.random(len(o_owner)) < par["store_share"][o_owner]
    o_app = ~o_store & (rng.random(len(o_owner)) < par["app_share"][o_owner])
    o_hour = _diurnal_hours(rng, len(o_owner), o_store)
    o_seconds = o_day * 86400 + o_hour * 3600 + rng.integers(0, 3600, len(o_owner))
    order_idx = np.arange(len(o_owner))
    n_lines = 1 + rng.poisson(np.maximum(par["basket_items"][o_owner] - 1, 0.05))
    l_order = np.repeat(order_idx, n_lines)
    l_number = np.arange(len(l_order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    l_product = pick_products(o_owner[l_order])
    l_qty = 1 + rng.poisson(0.25, len(l_order))
    discount = np.where(persona[o_owner] == PERSONA_NAMES.index("bargain_hunter"), 0.8, 1.0)
    l_price = np.round(world.product_price[l_product] * discount[l_order], 2)
    status_u = rng.random(len(o_owner))
    status = np.where(
        status_u < 0.04, "cancelled", np.where(status_u < 0.09, "returned", "delivered")
    )
    orders = pa.table(
        {
            "person": pidx[o_owner],
            "order_seq": order_idx,
            "order_seconds": o_seconds,
            "order_day": o_day,
            "is_store": o_store,
            "is_app": o_app,
            "status": status,
        }
    )
    lines = pa.table(
        {
            "order_seq": l_order,
            "line_number": l_number,
            "product": l_product,
            "quantity": l_qty,
            "unit_price": l_price,
        }
    )

    # Browsing sessions (web and app). Recent sign-ups browse anonymously for a few weeks
    # before they register; after dropping out a person comes back only rarely.
    end_excl = world.end_day + 1
    pre_signup = np.where(signup >= world.start_day, rng.integers(0, 30, n), 0)
    b_from = np.maximum(sim_from - pre_signup, world.start_day)
    b_alive_to = np.clip(active_until, b_from, np.maximum(end_excl, b_from))
    alive_span = b_alive_to - b_from
    after_span = np.maximum(end_excl - b_alive_to, 0)
    rate = par["session_rate"]
    n_alive = rng.poisson(rate * alive_span)
    n_after = rng.poisson(0.08 * rate * after_span)
    s_owner = np.concatenate([np.repeat(np.arange(n), n_alive), np.repeat(np.arange(n), n_after)])
    s_start = np.concatenate([np.repeat(b_from, n_alive), np.repeat(b_alive_to, n_after)]).astype(
        float
    )
    s_span = np.concatenate([np.repeat(alive_span, n_alive), np.repeat(after_span, n_after)])
    s_day = np.floor(s_start + rng.random(len(s_owner)) * s_span).astype(np.int64)
    s_day = np.minimum(s_day, world.end_day)
    s_hour = _diurnal_hours(rng, len(s_owner), np.zeros(len(s_owner), bool))
    s_seconds = s_day * 86400 + s_hour * 3600 + rng.integers(0, 3000, len(s_owner))
    s_views = 1 + rng.poisson(par["views_per_session"][s_owner] - 1)
    v_session = np.repeat(np.arange(len(s_owner)), s_views)
    v_product = pick_products(s_owner[v_session])
    v_offset = (np.arange(len(v_session)) - np.repeat(np.cumsum(s_views) - s_views, s_views)) * 40
    v_cart = rng.random(len(v_session)) < 0.08
    s_cart_viewed = np.bincount(v_session, weights=v_cart, minlength=len(s_owner)) > 0
    # A search for one of the person's categories opens a share of sessions.
    s_query_cat = (pref_cum[s_owner] < rng.random(len(s_owner))[:, None]).sum(1)
    s_query = np.where(
        rng.random(len(s_owner)) < 0.3,
        np.array(CATEGORIES)[np.minimum(s_query_cat, len(CATEGORIES) - 1)],
        None,
    )
    sessions = pa.table(
        {
            "session": np.arange(len(s_owner)),
            "person": pidx[s_owner],
            "session_seconds": s_seconds,
            "session_day": s_day,
            "views": s_views,
            "search_query": pa.array(s_query, pa.string()),
            "cart_viewed": s_cart_viewed,
        }
    )
    views = pa.table(
        {
            "session": v_session,
            "product": v_product,
            "offset_s": v_offset,
            "cart_add": v_cart,
            "cart_remove": v_cart & (rng.random(len(v_session)) < 0.25),
        }
    )

    # People and their identifiers.
    country = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n)]
    device_idx = (
        rng.random(n)[:, None] > np.cumsum(np.array([p.device_p for p in PERSONAS])[persona], 1)
    ).sum(1)
    first_name = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last_name = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    has_loyalty = (par["store_share"] > 0.2) | (rng.random(n) < 0.3)
    # Preferred hour for reading mail: morning, lunch or evening readers.
    hour_centre = np.array([7.5, 12.5, 20.0])[rng.choice(3, n, p=[0.35, 0.2, 0.45])]
    preferred_hour = np.clip(np.round(rng.normal(hour_centre, 1.2)), 0, 23)
    # Consent per channel at signup; a few revoke later (revoke_day -1: never).
    granted = rng.random((n, len(CONSENT_CHANNELS))) < np.array(CONSENT_GRANT_P)
    revokes = granted & (rng.random((n, len(CONSENT_CHANNELS))) < CONSENT_REVOKE_P)
    revoke_day = np.where(
        revokes, signup[:, None] + 1 + rng.integers(0, 200, (n, len(CONSENT_CHANNELS))), -1
    )
    people = pa.table(
        {
            "person": pidx,
            "persona": np.array(PERSONA_NAMES)[persona],
            "signup_day": signup,
            "dropout_day": dropout,
            "churn_probability": churn_probability,
            "country": country,
            "first_name": first_name,
            "last_name": last_name,
            "birth_year": rng.integers(1950, 2006, n),
            "gender": np.array(["female", "male", "unknown"])[
                rng.choice(3, n, p=[0.5, 0.45, 0.05])
            ],
            "has_loyalty": has_loyalty,
            "device": np.array(DEVICES)[np.minimum(device_idx, 2)],
            "open_rate": par["open_rate"],
            "preferred_hour": preferred_hour.astype(np.int64),
            "city_idx": rng.integers(0, 3, n),
            "phone_digits": rng.integers(10**8, 10**9 - 1, n),
            **{f"grant_{c}": granted[:, i] for i, c in enumerate(CONSENT_CHANNELS)},
            **{f"revoke_day_{c}": revoke_day[:, i] for i, c in enumerate(CONSENT_CHANNELS)},
        }
    )

    # Weekly email campaigns to people who opted in, until they revoke, unsubscribe or
    # report spam; each send reaches a share of the list. Opens by engagement, at the
    # person's preferred hour.
    campaign_days = np.arange(world.start_day + (7 - world.start_day % 7) % 7, world.end_day + 1, 7)
    e_owner = np.repeat(np.arange(n), len(campaign_days))
    e_day = np.tile(campaign_days, n)
    email_stop = np.where(revoke_day[:, 0] >= 0, revoke_day[:, 0], np.iinfo(np.int64).max)
    keep = (
        (e_day >= signup[e_owner])
        & granted[e_owner, 0]
        & (e_day < email_stop[e_owner])
        & (rng.random(len(e_owner)) < 0.6)
    )
    e_owner, e_day = e_owner[keep], e_day[keep]
    alive = e_day < dropout[e_owner]
    engaged = par["open_rate"][e_owner] * np.where(alive, 1.0, 0.2)
    bounced = rng.random(len(e_owner)) < 0.005
    opened = ~bounced & (rng.random(len(e_owner)) < engaged)
    clicked = opened & (rng.random(len(e_owner)) < 0.3)
    unsub = ~bounced & (rng.random(len(e_owner)) < np.where(opened, 0.001, 0.003))
    spam = ~bounced & ~unsub & (rng.random(len(e_owner)) < 0.0005)
    # Nothing is sent after the first unsubscribe or spam report.
    first_stop = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_stop, e_owner[unsub | spam], e_day[unsub | spam])
    keep = e_day <= first_stop[e_owner]
    open_hour = np.clip(preferred_hour[e_owner] + rng.integers(-1, 2, len(e_owner)), 0, 23)
    open_seconds = e_day * 86400 + open_hour * 3600 + rng.integers(0, 3600, len(e_owner))
    emails = pa.table(
        {
            "person": pidx[e_owner],
            "campaign_day": e_day,
            "opened": opened,
            "clicked": clicked,
            "bounced": bounced,
            "unsubscribed": unsub,
            "spam_reported": spam,
            "open_seconds": open_seconds,
        }
    ).filter(pa.array(keep))
    return Chunk(people, orders, lines, sessions, views, emails)


def _diurnal_hours(rng: np.random.Generator, n: int, store: np.ndarray) -> np.ndarray:
    """Hour of day: online peaks in the evening, stores during opening hours."""
    online = np.array(
        [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 8, 9, 8, 5, 2], float
    )
    shop = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 6, 7, 6, 6, 6, 7, 7, 5, 3, 0, 0, 0, 0], float)
    h_online = rng.choice(24, n, p=online / online.sum())
    h_store = rng.choice(24, n, p=shop / shop.sum())
    return np.where(store, h_store, h_online)
