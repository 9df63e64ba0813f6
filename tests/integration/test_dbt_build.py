"""Real dbt over a generated sample: identity, marts invariants, point-in-time features."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from ml.segments.data import load_features
from pipeline.dbt import DBT_PHASES
from tests.integration.conftest import END, copy_until, dbt
from warehouse import db
from warehouse.load import load_landing

pytestmark = pytest.mark.integration


def test_identity_resolution_matches_the_truth(built_warehouse: Path, sample_landing: Path) -> None:
    """Pairwise precision and recall of 'these two customer ids are one person' >= 0.98."""
    truth = sample_landing / "_truth" / "identifiers.parquet"
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        tp, fp, fn, erased = con.execute(
            f"""
            with truth as (
                select person_key, identifier_value as customer_id
                from '{truth}' where identifier_type = 'customer_id'
            ),
            resolved as (
                select person_id, identifier_value as customer_id
                from marts.person_identifiers where identifier_type = 'customer_id'
            ),
            joined as (select * from truth join resolved using (customer_id)),
            pairs as (
                select a.person_key = b.person_key as same_truth,
                       a.person_id = b.person_id as same_resolved
                from joined a join joined b
                  on a.customer_id < b.customer_id
                 and (a.person_key = b.person_key or a.person_id = b.person_id)
            )
            select count(*) filter (where same_truth and same_resolved),
                   count(*) filter (where same_resolved and not same_truth),
                   count(*) filter (where same_truth and not same_resolved),
                   (select count(*) from truth) - (select count(*) from joined)
            from pairs
            """
        ).fetchone()
    assert tp > 20, "the sample must hold duplicate CRM records"
    assert tp / (tp + fp) >= 0.98
    assert tp / (tp + fn) >= 0.98
    assert erased > 0, "erased people's customer ids are absent from the graph"


def test_shared_test_address_links_nobody(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        people = con.execute(
            """
            select count(distinct c.person_id), count(*)
            from staging.stg_crm__customers s
            join marts.person_identifiers c
              on c.identifier_type = 'customer_id' and c.identifier_value = s.customer_id
            where s.email = 'test@example.com'
            """
        ).fetchone()
    assert people[0] == people[1], "each customer using the test address stays a separate person"


def test_marts_invariants(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        assert q("select count(*) from marts.dim_customers") > 1500
        assert q("select count(*) from reference.rfm_segments") == 125
        assert q("select count(*) from marts.customer_rfm where rfm_segment is null") == 0
        assert q("select count(distinct r_score) from marts.customer_rfm") == 5
        assert q("select count(*) from marts.fct_orders where not is_revenue and revenue <> 0") == 0
        assert q("select count(distinct channel) from marts.fct_orders") == 3
        assert q("select max(ordered_at) from marts.fct_orders") < dt.datetime(2026, 7, 1)
        features = con.execute("select * from marts.customer_features").df()
        assert features.drop(columns="person_id").notna().all().all()
        assert all(str(t) == "float64" for t in features.drop(columns="person_id").dtypes)
        assert q("select count(distinct cutoff_date) from marts.customer_features_history") == 8
        # Category shares in long form: one row per person, cutoff and category bought
        # from, at run_date and at each history cutoff, summing to at most 1 per person.
        assert q("select count(distinct cutoff_date) from marts.customer_category_shares") == 9
        unknown = q(
            "select count(*) from marts.customer_category_shares where category <> 'unknown' "
            "and category not in (select category from marts.dim_products)"
        )
        assert unknown == 0
        over = q(
            "select count(*) from (select sum(revenue_share) as s from "
            "marts.customer_category_shares group by person_id, cutoff_date) where s > 1 + 1e-9"
        )
        assert over == 0


def test_ml_inputs_follow_their_vars(built_warehouse: Path) -> None:
    """The churn labels and the recommendation split are dbt models built from the vars
    churn_horizon_days (90) and recs_holdout_days (28), with nothing after run_date."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        horizons = con.execute(
            "select distinct label_end_date - cutoff_date, label_end_date <= ? "
            "from marts.churn_training_examples",
            [END],
        ).fetchall()
        assert horizons == [(90, True)]
        assert q("select count(distinct cutoff_date) from marts.churn_training_examples")[0][0] >= 2
        split = END - dt.timedelta(days=28)
        assert q("select distinct split_date from marts.recs_training_interactions") == [(split,)]
        assert q("select distinct split_date from marts.recs_holdout_purchases") == [(split,)]
        late = con.execute(
            "select count(*) from marts.recs_training_interactions "
            "where last_interaction_at >= ? + interval 1 day",
            [split],
        ).fetchone()[0]
        assert late == 0
        # As of run_date, the same aggregation is the mart the final model is fitted on.
        assert q(
            "select count(*) from marts.customer_item_interactions as full_history "
            "join marts.recs_training_interactions as train using (person_id, product_id) "
            "where train.purchase_count > full_history.purchase_count"
        ) == [(0,)]


def test_a_full_refresh_keeps_the_ml_history(built_warehouse: Path, tmp_path: Path) -> None:
    """Regression: the ml tables are dbt models, and `dbt build --full-refresh` must never
    drop the scores of earlier nights (full_refresh: false)."""
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, db_path)
    earlier = END - dt.timedelta(days=1)
    scores = pa.table(
        {
            "run_date": [earlier],
            "person_id": ["p_0000000000000000"],
            "churn_probability": [0.5],
            "risk_band": ["medium"],
            "top_reasons": ["recency_days"],
            "model_version": ["1"],
        }
    )
    assert db.replace_partition("ml.churn_scores", "run_date", earlier, scores, db_path) == 1
    dbt(["build", "--full-refresh", "--select", "path:models/ml"], db_path, END)
    with duckdb.connect(str(db_path), read_only=True) as con:
        kept = con.execute("select run_date, person_id from ml.churn_scores").fetchall()
    assert kept == [(earlier, "p_0000000000000000")]


def test_features_do_not_change_when_later_data_arrives(
    built_warehouse: Path, sample_landing: Path, tmp_path: Path
) -> None:
    """Features as of a day, built that day, equal the history row for that cutoff built
    30 days later with 30 more days of extracts; so do the category shares.

    The guarantee is about later data: records timestamped after the cutoff never reach
    its features. Two kinds of later knowledge do change a person's history, and those
    people are left out of the comparison: records about earlier days that arrive late
    (the sample delays 1% of web events by up to three days), and identity learnt later
    (a device that browsed before the cutoff and logged in after it is stitched to the
    person retroactively, so its earlier browsing counts in the history).
    """
    earlier = END - dt.timedelta(days=30)
    landing = tmp_path / "landing"
    copy_until(sample_landing, landing, earlier)
    db = tmp_path / "earlier.duckdb"
    assert not load_landing(landing, db).failed
    dbt(["seed"], db, earlier)
    dbt(["run", "--select", "+customer_features", "+customer_category_shares"], db, earlier)
    identity_sql = (
        "select person_id, identifier_type, identifier_value, first_seen_at "
        "from intermediate.int_identifiers_resolved"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        then = con.execute("select * from marts.customer_features order by person_id").df()
        identity_then = set(con.execute(identity_sql).fetchall())
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        later = con.execute(
            "select * exclude (cutoff_date) from marts.customer_features_history "
            "where cutoff_date = ? order by person_id",
            [earlier],
        ).df()
        late = {
            r[0]
            for r in con.execute(
                """
                with late_ids as (
                    select 'anonymous_id' as t, "anonymousId" as v from raw.web__events
                    where "timestamp" < ? + interval 1 day and _extract_date > ?
                    union all
                    select 'customer_id', "userId" from raw.web__events
                    where "timestamp" < ? + interval 1 day and _extract_date > ?
                    union all
                    select 'customer_id', customer_id from raw.email__email_events
                    where event_ts < ? + interval 1 day and _extract_date > ?
                    union all
                    select 'email', lower(trim(email)) from raw.email__email_events
                    where event_ts < ? + interval 1 day and _extract_date > ?
                    union all
                    select 'customer_id', customer_id from raw.shop__orders
                    group by order_id, customer_id
                    having min(order_ts) < ? + interval 1 day and min(_extract_date) > ?
                )
                select distinct i.person_id
                from late_ids join marts.person_identifiers i
                  on i.identifier_type = late_ids.t and i.identifier_value = late_ids.v
                """,
                [earlier] * 10,
            ).fetchall()
        }
        identity_later = set(con.execute(identity_sql).fetchall())
    restitched = {row[0] for row in identity_then ^ identity_later}
    late |= restitched
    common = then.merge(later[["person_id"]], on="person_id")
    assert len(common) > 0.95 * len(then)
    later = later.set_index("person_id").loc[common.person_id].reset_index()
    assert list(later.columns) == list(common.columns)
    on_time = ~common.person_id.isin(late)
    assert on_time.mean() > 0.85
    diff = (later.drop(columns="person_id") - common.drop(columns="person_id")).abs()
    worst = diff[on_time.to_numpy()].max()
    assert (worst < 1e-9).all(), worst[worst >= 1e-9]
    shares_sql = (
        "select person_id, category, revenue_share from marts.customer_category_shares "
        "where cutoff_date = ? order by person_id, category"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        shares_then = con.execute(shares_sql, [earlier]).df()
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        shares_later = con.execute(shares_sql, [earlier]).df()
    compared = set(common.person_id[on_time.to_numpy()])
    assert len(shares_then) > 0
    shares_then, shares_later = (
        f[f.person_id.isin(compared)].reset_index(drop=True) for f in (shares_then, shares_later)
    )
    pd.testing.assert_frame_equal(shares_then, shares_later, check_exact=False, atol=1e-9)


def test_a_category_with_an_apostrophe_builds_and_becomes_a_feature(
    built_warehouse: Path, tmp_path: Path
) -> None:
    """Regression: the category names were queried at compile time and pasted into the
    features' SQL as literals and column names, so a name with an apostrophe broke the
    build. Now they are values in the long customer_category_shares, and the models'
    column is a slug of the name."""
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "update raw.shop__products set category = 'Kids'' Toys' where category = 'toys'"
        )
    dbt(
        ["run", "--select", "stg_shop__products+", *DBT_PHASES["marts"]],
        db_path,
        END,
    )
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "select count(*) from marts.customer_category_shares where category = 'kids'' toys'"
        ).fetchone()[0]
    assert rows > 0
    frame = load_features(END, db_path)
    assert frame["category_share__kids_toys"].gt(0).sum() > 0
    assert "category_share__toys" not in frame.columns


def _share_addresses(landing: Path, shares: dict[str, list[str]]) -> None:
    """Rewrite every CRM snapshot so each listed customer id carries the given address."""
    for path in sorted(landing.glob("crm/*/customers.csv")):
        with duckdb.connect() as con:
            con.execute(f"create table t as select * from read_csv('{path}', all_varchar = true)")
            for address, customer_ids in shares.items():
                con.execute(
                    "update t set email = ? where customer_id in (select unnest(?))",
                    [address, customer_ids],
                )
            con.execute(f"copy t to '{path}' (header, delimiter ',')")


def test_placeholder_and_role_addresses_are_nobody_s_contact(
    built_warehouse: Path, sample_landing: Path, tmp_path: Path
) -> None:
    """Regression: a placeholder address shared by dozens of CRM records was kept as
    their email, exported in plain text and hashed; a role address shared by only two
    people (under the sharing limit) linked them into one person.

    Forty-four customers, each a person of their own in the sample: forty get
    test@example.com, two noreply@shop.example and two No-Reply+orders@Shop.example.
    None of them has a golden-record email, no placeholder is an identifier, is hashed
    or reaches an audience, and each stays its own person.
    """
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        singles = [
            r[0]
            for r in con.execute(
                """
                select min(i.identifier_value) from marts.person_identifiers i
                where i.identifier_type = 'customer_id'
                  and i.identifier_value in (select customer_id from staging.stg_crm__customers)
                group by i.person_id having count(*) = 1
                order by 1 limit 44
                """
            ).fetchall()
        ]
    assert len(singles) == 44
    landing = tmp_path / "landing"
    shutil.copytree(sample_landing, landing, ignore=shutil.ignore_patterns("_truth"))
    shares = {
        "test@example.com": singles[:40],
        "noreply@shop.example": singles[40:42],
        "No-Reply+orders@Shop.example": singles[42:44],
    }
    _share_addresses(landing, shares)
    db_path = tmp_path / "warehouse.duckdb"
    assert not load_landing(landing, db_path).failed
    dbt(["build"], db_path, END)
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            """
            select s.customer_id, s.email as crm_email, d.person_id, d.email
            from staging.stg_crm__customers s
            join marts.person_identifiers i
                on i.identifier_type = 'customer_id' and i.identifier_value = s.customer_id
            join marts.dim_customers d on d.person_id = i.person_id
            where s.customer_id in (select unnest(?))
            """,
            [singles],
        ).fetchall()
        assert len(rows) == 44, "every customer is still a person"
        assert {r[1] for r in rows} == {
            "test@example.com",
            "noreply@shop.example",
            "no-reply+orders@shop.example",
        }, "staging keeps the address as delivered (normalized)"
        assert [r for r in rows if r[3] is not None] == []
        assert len({r[2] for r in rows}) == 44, "a shared placeholder links nobody"
        placeholder_identifiers = con.execute(
            "select count(*) from marts.person_identifiers where identifier_type = 'email' "
            "and (identifier_value = 'test@example.com' or identifier_value like '%@shop.example')"
        ).fetchone()[0]
        assert placeholder_identifiers == 0
        hashes = con.execute(
            "select count(*) from marts.dim_customers where sha256(email) in "
            "(select sha256(unnest(['test@example.com', 'noreply@shop.example', "
            "'no-reply+orders@shop.example'])))"
        ).fetchone()[0]
        assert hashes == 0
        email_tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.columns "
                "where table_schema = 'audiences' and column_name = 'email'"
            ).fetchall()
        ]
        assert len(email_tables) >= 3
        for table in email_tables:
            exported = con.execute(
                f"select count(*) from audiences.{table} a join marts.dim_customers d "
                "using (person_id) where d.customer_id in (select unnest(?)) "
                "or a.email = 'test@example.com' or a.email like '%@shop.example'",
                [singles],
            ).fetchone()[0]
            assert exported == 0, table
        real_emails = con.execute(
            "select count(*) from marts.dim_customers where email is not null"
        ).fetchone()[0]
    assert real_emails > 1500, "real addresses are kept"
