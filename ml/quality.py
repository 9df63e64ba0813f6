"""Measure the written scores against the sample generator's truth.

``python -m ml.quality --run-date D --truth LANDING/_truth`` compares what the models
wrote for ``D`` (the generator's end date) with what the generator knows happened:

* churn: AUC of ``ml.churn_scores`` against "no order in the next 90 days", next to
  the oracle AUC of the generator's own churn probabilities on the same people (bar:
  at least 0.9 of the oracle);
* recommendations: precision@10 of ``ml.recommendations`` on the generator's future
  orders, next to a popularity baseline filtered the same way (bar: at least twice
  the baseline);
* segments: adjusted Rand index against the planted personas, next to the ARI of a
  supervised classifier (cross-validated logistic regression) trained to predict the
  personas from the same scaled features (bar: at least 0.6 of it), and the stability
  of the segmentation (ARI and share of unchanged segment ids against the previous
  day's run, when there is one; bar: 0.95).

People are matched to the truth through their CRM customer ids
(``marts.person_identifiers``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.model_selection import cross_val_predict

from ml.features import to_pandas
from ml.recs.data import load_people, load_popularity, load_products
from ml.recs.pipeline import K, fill_popular
from warehouse import db
from warehouse.settings import load_settings

CHURN_BAR = 0.9
RECS_BAR = 2.0
SEGMENTS_BAR = 0.6
STABILITY_BAR = 0.95

_PERSON_KEYS = """
    select p.person_id, min(t.person_key) as person_key
    from marts.person_identifiers as p
    join read_parquet($identifiers) as t
        on t.identifier_type = 'customer_id' and t.identifier_value = p.identifier_value
    where p.identifier_type = 'customer_id'
    group by p.person_id
"""


def _query(sql: str, params: dict[str, Any], path: Path | None) -> pd.DataFrame:
    return to_pandas(db.read_arrow(sql, params, path=path))


def churn_quality(run_date: dt.date, truth: Path, path: Path | None = None) -> dict[str, Any]:
    """AUC of the written churn probabilities and of the oracle's, on the same people."""
    frame = _query(
        f"""
        with keys as ({_PERSON_KEYS})
        select s.churn_probability, t.churn_probability as true_probability,
               not t.ordered_next_90d as churned
        from ml.churn_scores as s
        join keys using (person_id)
        join read_parquet($people) as t using (person_key)
        where s.run_date = $run_date
    """,
        {
            "identifiers": str(truth / "identifiers.parquet"),
            "people": str(truth / "people.parquet"),
            "run_date": run_date,
        },
        path,
    )
    if frame.empty or frame["churned"].nunique() < 2:
        return {"people": len(frame)}
    auc = roc_auc_score(frame["churned"], frame["churn_probability"])
    oracle = roc_auc_score(frame["churned"], frame["true_probability"])
    return {
        "people": len(frame),
        "auc": auc,
        "oracle_auc": oracle,
        "ratio": auc / oracle,
        "passes": bool(auc >= CHURN_BAR * oracle),
    }


def recommendation_quality(
    run_date: dt.date, truth: Path, path: Path | None = None
) -> dict[str, Any]:
    """precision@10 on the future orders, of the written lists and of plain popularity."""
    params = {
        "identifiers": str(truth / "identifiers.parquet"),
        "orders": str(truth / "future_orders.parquet"),
    }
    future = _query(
        f"""
        with keys as ({_PERSON_KEYS})
        select distinct k.person_id, f.product_id
        from read_parquet($orders) as f join keys as k using (person_key)
    """,
        params,
        path,
    )
    recs = _query(
        "select person_id, product_id from ml.recommendations where run_date = $d",
        {"d": run_date},
        path,
    )
    people = load_people(path)
    people = people[people["person_id"].isin(future["person_id"])]
    purchased = _query(
        """
        select distinct person_id, product_id from marts.customer_item_interactions
        where purchase_count > 0
    """,
        {},
        path,
    )
    baseline = fill_popular(
        pd.DataFrame(columns=["person_id", "rank", "product_id", "score"]),
        people.assign(preferred_category=None),
        purchased,
        load_products(path),
        load_popularity(run_date, path=path),
        K,
    )

    def precision(lists: pd.DataFrame) -> float:
        lists = lists[lists["person_id"].isin(people["person_id"])]
        hits = lists.merge(future, on=["person_id", "product_id"]).groupby("person_id").size()
        return float(hits.reindex(people["person_id"], fill_value=0).mean() / K)

    ours, popular = precision(recs), precision(baseline)
    return {
        "people_with_future_orders": len(people),
        "precision@10": ours,
        "popularity_precision@10": popular,
        "lift": ours / popular if popular else float("inf"),
        "passes": bool(ours >= RECS_BAR * popular),
    }


def segment_quality(run_date: dt.date, truth: Path, path: Path | None = None) -> dict[str, Any]:
    """ARI against the personas, and against the previous day's segmentation."""
    frame = _query(
        f"""
        with keys as ({_PERSON_KEYS})
        select s.segment_id, t.persona
        from ml.customer_segments as s
        join keys using (person_id)
        join read_parquet($people) as t using (person_key)
        where s.run_date = $run_date
    """,
        {
            "identifiers": str(truth / "identifiers.parquet"),
            "people": str(truth / "people.parquet"),
            "run_date": run_date,
        },
        path,
    )
    result: dict[str, Any] = {"people": len(frame)}
    if not frame.empty:
        result["ari_vs_personas"] = adjusted_rand_score(frame["persona"], frame["segment_id"])
        supervised = supervised_ari(run_date, truth, path)
        result["supervised_ari"] = supervised
        result["share_of_supervised"] = result["ari_vs_personas"] / supervised
        result["meets_bar"] = result["share_of_supervised"] >= SEGMENTS_BAR
    pairs = _query(
        """
        select a.segment_id as today, b.segment_id as yesterday
        from ml.customer_segments as a
        join ml.customer_segments as b using (person_id)
        where a.run_date = $run_date and b.run_date = $run_date - 1
    """,
        {"run_date": run_date},
        path,
    )
    if not pairs.empty:
        result["stability_ari"] = adjusted_rand_score(pairs["yesterday"], pairs["today"])
        result["stability_same_id"] = float((pairs["today"] == pairs["yesterday"]).mean())
        result["stability_meets_bar"] = result["stability_ari"] >= STABILITY_BAR
    return result


def supervised_ari(run_date: dt.date, truth: Path, path: Path | None = None) -> float:
    """ARI of a classifier that knows the personas: five-fold cross-validated logistic
    regression on the segments' features, scaled as the segments scale them. What the
    features can tell apart, against which the unsupervised segments are judged."""
    from ml.segments.data import load_features
    from ml.segments.model import SEGMENT_FEATURES, make_scaler

    personas = _query(
        f"""
        with keys as ({_PERSON_KEYS})
        select keys.person_id, t.persona
        from keys join read_parquet($people) as t using (person_key)
    """,
        {
            "identifiers": str(truth / "identifiers.parquet"),
            "people": str(truth / "people.parquet"),
        },
        path,
    )
    frame = load_features(run_date, path).merge(personas, on="person_id")
    features = list(SEGMENT_FEATURES)
    x = make_scaler(features).fit_transform(frame.reindex(columns=features).astype(float))
    predicted = cross_val_predict(LogisticRegression(max_iter=3000), x, frame["persona"], cv=5)
    return float(adjusted_rand_score(frame["persona"], predicted))


def measure(run_date: dt.date, truth: Path, path: Path | None = None) -> dict[str, Any]:
    """All three reports; a model whose scores are missing reports only its population."""
    return {
        "run_date": str(run_date),
        "churn": churn_quality(run_date, truth, path),
        "recommendations": recommendation_quality(run_date, truth, path),
        "segments": segment_quality(run_date, truth, path),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the quality report as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m ml.quality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--run-date", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--truth", type=Path, required=True, help="the generator's _truth folder")
    args = parser.parse_args(argv)
    report = measure(args.run_date, args.truth, load_settings().duckdb_path)
    print(json.dumps(report, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
