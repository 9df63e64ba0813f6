"""Train, evaluate, register and score the product recommender as of a run date."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ml import drift, plots, tracking
from ml.errors import NotEnoughData
from ml.recs.data import load_interactions, load_people, load_popularity, load_products, load_split
from ml.recs.model import KINDS, Matrix, RecsModel, evaluate, make_recommender
from ml.sampling import sample_rows
from warehouse import db
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = "recommendations"
OUTPUT_TABLE = "ml.recommendations"
K = 10
#: People of the time split the candidates are fitted and compared on. A seeded sample
#: keeps the comparison's cost flat as the shop grows: at 100k customers, precision@10
#: on 20k sampled people was within 0.001 of the figure on all of them.
EVAL_USERS = 30_000
#: Kinds fitted on purchases only (everything else on the weighted interactions).
ON_PURCHASES = ("popular",)


#: People whose recommendations describe a new version's scores when it does not score
#: the night itself (the reference of its score distribution).
DRIFT_SAMPLE = 5_000


def person_activity(interactions: pd.DataFrame) -> pd.DataFrame:
    """Per person: products interacted with and total interaction weight (the input's
    shape that drift is measured on; the recommender's own input is the whole matrix)."""
    grouped = interactions.groupby("person_id", sort=True, observed=True)
    return pd.DataFrame(
        {"products": grouped["product_id"].count(), "weight": grouped["weight"].sum()}
    ).reset_index()


def _ratio(value: float, baseline: float) -> float:
    """value / baseline, 0 when the baseline is 0 (nothing to beat on an empty window)."""
    return value / baseline if baseline > 0 else 0.0


def popular_lists(
    products: pd.DataFrame, popularity: pd.DataFrame
) -> tuple[list[tuple[str, float]], dict[str, list[tuple[str, float]]]]:
    """Active products by recent buyers (then by id), overall and per category.

    Scores are the share of the top product's buyers, so they read 1.0 down to 0.0.
    """
    active = products[products["is_active"]]
    ranked = active.merge(popularity, on="product_id", how="left").fillna({"buyers": 0})
    ranked = ranked.sort_values(["buyers", "product_id"], ascending=[False, True])
    top = max(float(ranked["buyers"].max()), 1.0) if len(ranked) else 1.0
    ranked = ranked.assign(score=ranked["buyers"] / top)
    overall = list(zip(ranked["product_id"], ranked["score"], strict=True))
    by_category = {
        category: list(zip(group["product_id"], group["score"], strict=True))
        for category, group in ranked.groupby("category", sort=True)
    }
    return overall, by_category


def fill_popular(
    recs: pd.DataFrame,
    people: pd.DataFrame,
    purchased: pd.DataFrame,
    products: pd.DataFrame,
    popularity: pd.DataFrame,
    k: int = K,
    source: str = "als",
) -> pd.DataFrame:
    """Top up every person to k items with popular ones, marked ``source = 'popular'``.

    The model's own rows are marked ``source``: the kind of the deployed model.

    People without model recommendations (no interactions) start from the most popular
    products of their preferred category, then the most popular overall; products
    they bought and products already recommended are skipped.
    """
    overall, by_category = popular_lists(products, popularity)
    counts = recs.groupby("person_id").size()
    have = people["person_id"].map(counts).fillna(0).astype(int).to_numpy()
    needy = people[have < k]
    chosen = recs[recs["person_id"].isin(needy["person_id"])].groupby("person_id")["product_id"]
    chosen = chosen.agg(set).to_dict()
    bought = purchased[purchased["person_id"].isin(needy["person_id"])]
    bought = bought.groupby("person_id")["product_id"].agg(set).to_dict()
    rows = []
    for person, category in zip(needy["person_id"], needy["preferred_category"], strict=True):
        skip = chosen.get(person, set()) | bought.get(person, set())
        rank = len(chosen.get(person, ()))
        candidates = (by_category.get(category, []) if isinstance(category, str) else []) + overall
        for product, score in candidates:
            if rank >= k:
                break
            if product in skip:
                continue
            skip.add(product)
            rank += 1
            rows.append((person, rank, product, score))
    filled = pd.DataFrame(rows, columns=["person_id", "rank", "product_id", "score"])
    out = pd.concat(
        [recs.assign(source=source), filled.assign(source="popular")], ignore_index=True
    )
    return out.sort_values(["person_id", "rank"], kind="stable").reset_index(drop=True)


def score_population(
    scorer: RecsModel,
    run_date: dt.date,
    settings: Settings,
    version: str,
    interactions: pd.DataFrame | None = None,
    reference: dict[str, Any] | None = None,
    trained_version: str | None = None,
) -> dict[str, Any]:
    """Ten recommendations per person of ``marts.dim_customers`` into ml.recommendations.

    ``scorer`` ranks for the people it knows, never recommending what they bought (as
    of ``interactions``, tonight's ``marts.customer_item_interactions`` when omitted)
    or an inactive product; everyone else, and every list it leaves short, is filled
    from their preferred category's popular products.

    Drift against the scoring version's training data is measured on each person's
    activity and the model's scores (:func:`ml.drift.measure`; ``reference`` and
    ``trained_version`` on a training night).

    Returns:
        ``rows_written``, ``people``, ``share_popular`` (of the rows, those filled by
        popularity) and the drift keys.
    """
    path = settings.duckdb_path
    if interactions is None:
        interactions = load_interactions(path)
    people = load_people(path)
    products = load_products(path)
    purchased = interactions.loc[
        interactions["purchase_count"] > 0, ["person_id", "product_id"]
    ].astype(object)
    seen_all = Matrix.build(purchased, None, scorer.user_ids, scorer.item_ids).values
    active = set(products.loc[products["is_active"], "product_id"])
    exclude = np.flatnonzero(~pd.Series(scorer.item_ids).isin(active).to_numpy())
    recs = scorer.recommend_ids(people["person_id"].to_numpy(), seen_all, exclude, K)
    activity = person_activity(interactions)
    drifted = drift.measure(
        MODEL_NAME,
        run_date,
        version,
        activity,
        {"score": recs["score"]},
        settings,
        reference,
        trained_version,
    )
    output = fill_popular(
        recs,
        people,
        purchased,
        products,
        load_popularity(run_date, path=path),
        K,
        source=scorer.recommender.kind,
    )
    output.insert(0, "run_date", run_date)
    output["model_version"] = version
    rows = db.replace_partition(
        OUTPUT_TABLE,
        "run_date",
        run_date,
        pa.Table.from_pandas(output, preserve_index=False),
        path,
    )
    return {
        "rows_written": rows,
        "people": int(output["person_id"].nunique()) if rows else 0,
        "share_popular": float((output["source"] == "popular").mean()) if rows else 0.0,
        **drifted,
    }


def train_and_score(
    run_date: dt.date,
    settings: Settings | None = None,
    seed: int = 42,
    threads: int = 2,
    eval_users: int = EVAL_USERS,
) -> dict[str, Any]:
    """Evaluate every candidate (:data:`~ml.recs.model.KINDS`) on a time split, fit the
    best on all interactions, register it and write ten recommendations per person to
    ml.recommendations.

    The best is the highest precision@10 on the test window; ties go to the earlier
    kind, popularity first, so a model that does not beat popularity never deploys.

    Args:
        run_date: The last complete day of data.
        settings: Paths and the MLflow store; from the environment when omitted.
        seed: Random seed of every stochastic step.
        threads: Threads for ALS (BLAS is held to one thread).
        eval_users: The comparison on the time split uses a seeded sample of this many
            people (everyone when there are fewer).

    Returns:
        Holdout metrics per model, the champion decision and rows written.

    Raises:
        NotEnoughData: No interaction before the split date to learn from.
    """
    settings = settings or load_settings()
    path = settings.duckdb_path
    started = time.perf_counter()
    train, test, split_date = load_split(path)
    if train.empty:
        raise NotEnoughData(
            MODEL_NAME,
            f"no person-product interaction before the split date {split_date} "
            f"({len(test)} purchases after it) in marts.recs_training_interactions",
        )
    window_days = (run_date - split_date).days if split_date else None
    train_m = Matrix.build(train, "weight")
    seen = Matrix.build(
        train[train["purchase_count"] > 0], None, train_m.user_ids, train_m.item_ids
    )
    test_m = Matrix.build(test, None, train_m.user_ids, train_m.item_ids)
    test_values = test_m.values - test_m.values.multiply(seen.values > 0)
    test_values.eliminate_zeros()
    sample = sample_rows(len(train_m.user_ids), eval_users, seed)
    train_values, seen_values = train_m.values[sample], seen.values[sample]
    test_values = test_values[sample]

    metric = f"precision@{K}"
    results: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        candidate = make_recommender(kind, seed=seed, threads=threads)
        candidate.fit(seen_values if kind in ON_PURCHASES else train_values)
        results[kind] = evaluate(candidate, seen_values, test_values, K)
    best = max(KINDS, key=lambda kind: (results[kind][metric], -KINDS.index(kind)))
    log.info(
        "recommendations: %s; deploying %s",
        {k: round(v[metric], 4) for k, v in results.items()},
        best,
    )

    interactions = load_interactions(path)
    full = Matrix.build(interactions, "weight")
    full_purchases = Matrix.build(
        interactions[interactions["purchase_count"] > 0], None, full.user_ids, full.item_ids
    )
    model = RecsModel(
        make_recommender(best, seed=seed, threads=threads).fit(
            full_purchases.values if best in ON_PURCHASES else full.values
        ),
        full.user_ids,
        full.item_ids,
    )
    train_seconds = time.perf_counter() - started

    def evaluate_champion(champion: RecsModel) -> float:
        """Refit the champion's configuration on this split: a model fitted on later data
        has already seen this run's test window."""
        config = dict(champion.config)
        kind = config.pop("kind")
        for key in ("random_state", "num_threads", "use_gpu"):
            config.pop(key, None)
        refit = make_recommender(kind, seed=seed, threads=threads, **config)
        refit.fit(seen_values if kind in ON_PURCHASES else train_values)
        return evaluate(refit, seen_values, test_values, K)[metric]

    with tracking.training_run(
        "recommendations",
        f"recommendations {run_date}",
        settings.mlflow_tracking_uri,
        tags={"run_date": str(run_date)},
    ):
        tracking.log_params(
            {
                "run_date": run_date,
                "seed": seed,
                "window_days": window_days,
                "eval_users": len(sample),
                "model": best,
                **{f"{best}_{k}": v for k, v in model.recommender.params.items()},
                "n_users": len(full.user_ids),
                "n_items": len(full.item_ids),
            }
        )
        tracking.log_dataset(interactions, "recs_interactions")
        for kind, values in results.items():
            tracking.log_metrics({f"{kind}_{name}": value for name, value in values.items()})
        beats = results[best][metric] > results["popular"][metric]
        plain_als = max(results["popular"][metric], results["als"][metric])
        tracking.log_metrics(
            {
                metric: results[best][metric],
                "beats_popularity": float(beats),
                "lift_over_popularity": _ratio(results[best][metric], results["popular"][metric]),
                "lift_over_popularity_and_als": _ratio(results[best][metric], plain_als),
                "train_seconds": train_seconds,
            }
        )
        names = [f"{m}@{K}" for m in ("precision", "recall", "ndcg", "map")]
        tracking.log_figure(
            plots.bars(
                names,
                {kind: [results[kind][n] for n in names] for kind in results},
                "value on the test window",
                f"Ranking metrics @{K} against popularity",
            ),
            "plots/precision_at_k_vs_baseline.png",
        )
        if not beats:
            log.warning(
                "recommendations: no candidate beats popularity on %s; popularity deploys",
                metric,
            )
        ref = tracking.log_model(
            model,
            MODEL_NAME,
            pd.DataFrame({"person_id": full.user_ids[:5]}),
            requirements=["implicit", "scipy", "threadpoolctl"],
        )
        decision = tracking.promote_as_of(
            ref, results[best][metric], evaluate_champion, "precision_at_10", run_date=str(run_date)
        )
        scorer = model if decision.promoted else tracking.load_model(decision.champion)
        purchased = interactions.loc[
            interactions["purchase_count"] > 0, ["person_id", "product_id"]
        ].astype(object)
        seen_new = Matrix.build(purchased, None, model.user_ids, model.item_ids).values
        drift_sample = model.user_ids[sample_rows(len(model.user_ids), DRIFT_SAMPLE, seed)]
        trained = model.recommend_ids(drift_sample, seen_new, None, K)
        reference = drift.reference_of(
            person_activity(interactions), ["products", "weight"], {"score": trained["score"]}
        )
        scored = score_population(
            scorer,
            run_date,
            settings,
            decision.champion.version,
            interactions,
            reference=reference,
            trained_version=decision.new.version,
        )
        rows, share_popular = scored["rows_written"], scored["share_popular"]
        drifted = {k: scored[k] for k in drift.RESULT_KEYS if k in scored}
        tracking.log_metrics(
            {
                "rows_scored": rows,
                "share_popular": share_popular,
                "total_seconds": time.perf_counter() - started,
            }
        )
    return {
        **{
            f"{kind}_{name}": value
            for kind, values in results.items()
            for name, value in values.items()
        },
        "model": best,
        "beats_popularity": bool(beats),
        "model_version": decision.new.version,
        "champion_version": decision.champion.version,
        "promoted": decision.promoted,
        "rows_written": rows,
        "people": scored["people"],
        "share_popular": share_popular,
        "train_seconds": round(train_seconds, 2),
        **drifted,
    }
