"""Train, register and score the customer segmentation as of a run date."""

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
from ml.features import CATEGORY_PREFIX, ID_COLUMN, align
from ml.segments.data import CENTROIDS_TABLE, load_features, load_previous_centroids
from ml.segments.model import (
    SEGMENT_FEATURES,
    SegmentModel,
    centroid_frame,
    match_ids,
    name_segments,
    profiles,
    select_model,
    silhouette_of,
    top_categories,
)
from warehouse import db
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)

MODEL_NAME = "segments"
OUTPUT_TABLE = "ml.customer_segments"
#: Fewest people per segment of the smallest k before a segmentation is attempted.
MIN_PEOPLE_PER_SEGMENT = 5
PROFILE_COLUMNS = (
    "recency_days",
    "orders_365d",
    "revenue_365d",
    "avg_order_value",
    "tenure_days",
    "sessions_90d",
    "product_views_90d",
    "email_open_rate_90d",
    "store_order_share_365d",
    "app_order_share_365d",
    "price_paid_ratio_365d",
    "views_per_session_90d",
)


def assign(
    model: SegmentModel, frame: pd.DataFrame, previous: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment every person with ``model``, with names and ids matched to ``previous``.

    Returns:
        The per-person rows (person_id, segment_id, segment_name, distance) and the
        per-segment profile (index segment_id: size, name, mean of each feature).
    """
    labels = model.predict(frame)
    described = list(
        dict.fromkeys(
            [
                *model.features,
                *(c for c in PROFILE_COLUMNS if c in frame.columns),
                *(c for c in frame.columns if c.startswith(CATEGORY_PREFIX)),
            ]
        )
    )
    table = profiles(frame, labels, described)
    names = name_segments(table, frame.reindex(columns=described).astype(float).mean())
    current = model.scaler.transform(table[model.features])
    if previous.empty:
        ids = match_ids(current, np.empty((0, current.shape[1])), [], table["size"].to_numpy())
    else:
        wide = previous.pivot(index="segment_id", columns="feature", values="value")
        ids = match_ids(
            current,
            model.scaler.transform(align(wide, model.features)),
            wide.index.astype(int).tolist(),
        )
    id_of = dict(zip(table.index, ids, strict=True))
    people = pd.DataFrame(
        {
            ID_COLUMN: frame[ID_COLUMN].to_numpy(),
            "segment_id": [id_of[label] for label in labels],
            "segment_name": [names[label] for label in labels],
            "distance": model.distance(frame, labels),
        }
    )
    table = table.assign(segment_name=[names[label] for label in table.index])
    table.index = [id_of[label] for label in table.index]
    table.index.name = "segment_id"
    return people, table.sort_index()


def score_population(
    scorer: Any,
    run_date: dt.date,
    settings: Settings,
    version: str,
    frame: pd.DataFrame | None = None,
    reference: dict[str, Any] | None = None,
    trained_version: str | None = None,
) -> dict[str, Any]:
    """Assign everyone of ``marts.customer_features`` to a segment of ``scorer``.

    Writes ml.customer_segments and ml.segment_centroids for the run date (segment ids
    stay those of the previous night's centroids where they match, :func:`assign`) and
    logs the cluster profiles to the active MLflow run.

    Drift against the scoring version's training data is measured
    (:func:`ml.drift.measure`; ``reference`` and ``trained_version`` on a training night).

    Returns:
        ``rows_written``, ``segments`` (id -> "name (size)"), ``table`` (the profile of
        each segment, a frame: for the caller's own use) and the drift keys.
    """
    path = settings.duckdb_path
    if frame is None:
        frame = load_features(run_date, path)
    previous = load_previous_centroids(run_date, path)
    people, table = assign(scorer, frame, previous)
    drifted = drift.measure(
        MODEL_NAME,
        run_date,
        version,
        frame,
        {"distance": people["distance"]},
        settings,
        reference,
        trained_version,
    )
    ratios = table[[c for c in PROFILE_COLUMNS if c in table.columns]]
    overall = frame.reindex(columns=ratios.columns).astype(float).mean().replace(0, np.nan)
    ratios = (ratios / overall).fillna(1.0)
    ratios.index = [f"{i} {table.loc[i, 'segment_name']}" for i in table.index]
    tracking.log_figure(
        plots.heatmap(ratios, "Cluster profiles (ratio to the mean)"),
        "plots/cluster_profiles.png",
    )
    summary = table[["segment_name", "size", *ratios.columns]].assign(
        top_categories=[", ".join(top_categories(row)) for _, row in table.iterrows()]
    )
    tracking.log_table(summary.reset_index(), "cluster_profiles.json")

    people.insert(0, "run_date", run_date)
    people["model_version"] = version
    rows = db.replace_partition(
        OUTPUT_TABLE,
        "run_date",
        run_date,
        pa.Table.from_pandas(people, preserve_index=False),
        path,
    )
    centroids = centroid_frame(table, scorer.features).rename(columns={"label": "segment_id"})
    centroids = centroids.assign(
        segment_name=centroids["segment_id"].map(table["segment_name"]),
        size=centroids["segment_id"].map(table["size"]),
    )
    centroids.insert(0, "run_date", run_date)
    db.replace_partition(
        CENTROIDS_TABLE,
        "run_date",
        run_date,
        pa.Table.from_pandas(centroids, preserve_index=False),
        path,
    )
    return {
        "rows_written": rows,
        "segments": {
            int(i): f"{row['segment_name']} ({int(row['size'])})" for i, row in table.iterrows()
        },
        "table": table,
        **drifted,
    }


def train_and_score(
    run_date: dt.date,
    settings: Settings | None = None,
    seed: int = 42,
    k_range: range = range(3, 9),
) -> dict[str, Any]:
    """Cluster ``marts.customer_features``, register the model and write ml.customer_segments.

    Args:
        run_date: The run date the marts were built for (keys the output rows).
        settings: Paths and the MLflow store; from the environment when omitted.
        seed: Random seed of every stochastic step.
        k_range: Numbers of clusters to try.

    Returns:
        The chosen kind and k, silhouettes, the champion decision and rows written.

    Raises:
        NotEnoughData: Too few people for the smallest k.
    """
    settings = settings or load_settings()
    started = time.perf_counter()
    frame = load_features(run_date, settings.duckdb_path)
    needed = k_range.start * MIN_PEOPLE_PER_SEGMENT
    if len(frame) < needed:
        raise NotEnoughData(
            MODEL_NAME,
            f"{len(frame)} people in marts.customer_features; the smallest k ({k_range.start}) "
            f"needs at least {needed} ({MIN_PEOPLE_PER_SEGMENT} per segment)",
        )
    features = list(SEGMENT_FEATURES)
    selection = select_model(frame, features, k_range=k_range, seed=seed)
    model = selection.model
    train_seconds = time.perf_counter() - started
    x_today = model.transform(frame)
    scores = selection.scores
    log.info(
        "segments: %d people, chosen %s k=%d silhouette %.3f bootstrap stability %.3f",
        len(frame),
        model.clusterer.kind,
        model.clusterer.k,
        model.silhouette,
        model.stability,
    )

    with tracking.training_run(
        "segments",
        f"segments {run_date}",
        settings.mlflow_tracking_uri,
        tags={"run_date": str(run_date)},
    ):
        tracking.log_params(
            {
                "run_date": run_date,
                "seed": seed,
                "n_people": len(frame),
                "n_features": len(features),
                "kind": model.clusterer.kind,
                "k": model.clusterer.k,
                "k_range": f"{k_range.start}-{k_range.stop - 1}",
            }
        )
        tracking.log_dataset(frame, "customer_features")
        for kind, group in scores.groupby("kind"):
            best = group.loc[group["silhouette"].idxmax()]
            tracking.log_metrics(
                {f"{kind}_best_silhouette": best["silhouette"], f"{kind}_best_k": best["k"]}
            )
            for row in group.itertuples():
                tracking.log_metrics({f"{kind}_silhouette": row.silhouette}, step=int(row.k))
        for kind, group in scores.groupby("kind"):
            for row in group.itertuples():
                tracking.log_metrics({f"{kind}_stability": row.stability}, step=int(row.k))
        tracking.log_metrics(
            {
                "silhouette": model.silhouette,
                "bootstrap_stability": model.stability,
                "train_seconds": train_seconds,
            }
        )
        tracking.log_table(scores, "silhouette_by_k.json")
        tracking.log_figure(
            plots.line(
                list(k_range),
                {
                    kind: g.set_index("k")["silhouette"].reindex(k_range)
                    for kind, g in scores.groupby("kind")
                },
                "k",
                "silhouette (sampled)",
                "Silhouette against k",
            ),
            "plots/silhouette_by_k.png",
        )
        ref = tracking.log_model(
            model,
            MODEL_NAME,
            frame[[ID_COLUMN, *features]].head(5),
            requirements=["scikit-learn", "scipy"],
        )
        decision = tracking.promote_as_of(
            ref,
            model.silhouette,
            lambda champion: silhouette_of(champion.predict(frame), x_today, seed),
            metric_name="silhouette",
            run_date=str(run_date),
        )
        scorer = model if decision.promoted else tracking.load_model(decision.champion)
        reference = drift.reference_of(
            frame, model.features, {"distance": model.distance(frame, model.predict(frame))}
        )
        scored = score_population(
            scorer,
            run_date,
            settings,
            decision.champion.version,
            frame,
            reference=reference,
            trained_version=decision.new.version,
        )
        rows, table = scored["rows_written"], scored["table"]
        drifted = {k: scored[k] for k in drift.RESULT_KEYS if k in scored}
        tracking.log_metrics(
            {
                "rows_scored": rows,
                "n_segments": len(table),
                "total_seconds": time.perf_counter() - started,
            }
        )
    return {
        "kind": scorer.clusterer.kind,
        "k": scorer.clusterer.k,
        "silhouette": model.silhouette,
        "bootstrap_stability": model.stability,
        "model_version": decision.new.version,
        "champion_version": decision.champion.version,
        "promoted": decision.promoted,
        "segments": scored["segments"],
        "rows_written": rows,
        "train_seconds": round(train_seconds, 2),
        **drifted,
    }
