"""Experiment tracking and the model registry: the one module that talks to MLflow.

The rest of the package hands plain objects to these functions (dicts of params and
metrics, matplotlib figures, fitted models with a ``predict(frame)`` method) so it can
be tested and reused without MLflow. Every fitted model is stored as a generic python
model that wraps the object itself; loading it back returns that object.

Registry policy (aliases, not the deprecated stages): a new version takes the alias
``champion`` only when it scores at least as well as the current champion on the new
run's holdout (the champion is re-evaluated on that same holdout); otherwise it gets
``challenger`` and scoring keeps using the champion.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import io
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import mlflow
import mlflow.data
import pandas as pd
from matplotlib.figure import Figure
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from ml.registry import MODELS

#: One experiment per model, named after it.
EXPERIMENTS = tuple(MODELS)
CHAMPION = "champion"
CHALLENGER = "challenger"
_FINGERPRINT_TAG = "model_sha256"
#: The experiment tag MLflow 3's UI reads to choose an experiment's layout: these are
#: classic ML experiments (runs, metrics, models), not GenAI ones (traces first).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
CLASSIC_ML_KIND = "custom_model_development"


def _sqlite_file(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///…`` URI (four slashes: an absolute path)."""
    parsed = urlparse(tracking_uri)
    return Path(unquote(parsed.path)[1:]) if parsed.scheme == "sqlite" else None


def artifact_root(tracking_uri: str) -> Path | None:
    """Folder for artifacts beside a SQLite or file store; None for a tracking server."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme == "sqlite":
        return _sqlite_file(tracking_uri).parent / "artifacts"
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path)) / "artifacts"
    return None


def _experiment_id(client: MlflowClient, name: str, tracking_uri: str) -> str:
    """The id of experiment ``name``, created (tagged as classic ML) when missing.

    An experiment created before the kind tag existed gets it here.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.tags.get(EXPERIMENT_KIND_TAG) != CLASSIC_ML_KIND:
            client.set_experiment_tag(
                experiment.experiment_id, EXPERIMENT_KIND_TAG, CLASSIC_ML_KIND
            )
        return experiment.experiment_id
    root = artifact_root(tracking_uri)
    location = (root / name).as_uri() if root is not None else None
    return client.create_experiment(
        name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: CLASSIC_ML_KIND}
    )


def unique_run_name(client: MlflowClient, experiment_id: str, run_name: str) -> str:
    """``run_name`` with a counter: ``churn 2026-03-31 #2`` for the second such run.

    Several runs of one model for one run date (a re-run, a backfill after a fix) would
    otherwise share a name in the UI. The counter comes from the runs already in the
    store, not from the clock, so the names stay reproducible.
    """
    escaped = run_name.replace("'", "''")
    earlier = client.search_runs(
        [experiment_id],
        filter_string=f"attributes.run_name LIKE '{escaped} #%'",
        max_results=50000,
    )
    return f"{run_name} #{len(earlier) + 1}"


def init_store(tracking_uri: str) -> None:
    """Create the store and one experiment per model; safe to call again.

    Run this once, from one process, before training: several processes creating a
    fresh SQLite store at the same moment race on its schema migration.

    Args:
        tracking_uri: The MLflow tracking URI (``Settings.mlflow_tracking_uri``).
    """
    database = _sqlite_file(tracking_uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri)
    for name in EXPERIMENTS:
        _experiment_id(client, name, tracking_uri)


@contextmanager
def training_run(
    experiment: str, run_name: str, tracking_uri: str, tags: dict[str, str] | None = None
) -> Iterator[str]:
    """Open an MLflow run in ``experiment``; yields its run id.

    The run is named ``run_name`` plus a counter (:func:`unique_run_name`). The
    ``log_*`` functions below write to the run opened here.
    """
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment_id = _experiment_id(client, experiment, tracking_uri)
    name = unique_run_name(client, experiment_id, run_name)
    with mlflow.start_run(experiment_id=experiment_id, run_name=name, tags=tags) as run:
        yield run.info.run_id


def log_params(params: dict[str, Any]) -> None:
    """Log a flat dict of parameters to the active run."""
    mlflow.log_params({key: str(value) for key, value in params.items()})


def log_dataset(frame: pd.DataFrame, name: str, context: str = "training") -> None:
    """Record the data a run trained on as an MLflow dataset: its digest and schema only.

    MLflow keeps a dataset's name, digest, schema and profile (row and cell counts),
    never its rows; person ids are dropped first, so even the digest is computed from
    the features alone. The UI then shows, per run, which data it saw and whether two
    runs saw the same.
    """
    features = frame.drop(columns=[c for c in PERSON_ID_COLUMNS if c in frame.columns])
    mlflow.log_input(mlflow.data.from_pandas(features, name=name), context=context)


#: MLflow refuses a metric name longer than this.
MAX_METRIC_NAME = 250


def metric_name(key: str) -> str:
    """``key`` as MLflow accepts it: '@' spelt ``_at_``, and a name longer than
    :data:`MAX_METRIC_NAME` (a feature named after a long category, say) cut to fit
    with a digest of the whole name, so two long names stay apart."""
    name = key.replace("@", "_at_")
    if len(name) <= MAX_METRIC_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: MAX_METRIC_NAME - 13]}-{digest}"


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    """Log a flat dict of numeric metrics to the active run (names may contain '@'
    and be of any length: :func:`metric_name`)."""
    clean = {metric_name(key): float(value) for key, value in metrics.items()}
    mlflow.log_metrics(clean, step=step)


def log_figure(figure: Figure, filename: str) -> None:
    """Store a matplotlib figure as an image artifact of the active run."""
    mlflow.log_figure(figure, filename)


def log_dict(data: dict[str, Any] | list[Any], filename: str) -> None:
    """Store JSON-serialisable data as an artifact of the active run."""
    mlflow.log_dict(data, filename)


def load_version_dict(ref: ModelRef, filename: str) -> dict[str, Any] | None:
    """A JSON artifact of the run that trained a registered version; None if it has none.

    A version registered again by fingerprint points at the run that first trained it.
    """
    run_id = MlflowClient().get_model_version(ref.name, ref.version).run_id
    if not run_id:
        return None
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{filename}")
    except (MlflowException, OSError):
        return None


def log_table(frame: pd.DataFrame, filename: str) -> None:
    """Store a small frame as a JSON table artifact of the active run."""
    mlflow.log_table(frame, filename)


# MLflow inspects ``predict`` when the class is defined and warns, under a filter of its
# own that no warnings filter overrides, that it has no type hints; the warning would
# print before every entry point's usage text, so what the definition writes to stderr
# is dropped. No type hints on purpose: MLflow would derive (and validate) a schema from
# them, while the signature logged with each model already describes its input.
with contextlib.redirect_stderr(io.StringIO()):

    class _WrappedModel(mlflow.pyfunc.PythonModel):
        """Any fitted object with ``predict(frame)``, as an MLflow python model."""

        def __init__(self, model: Any) -> None:
            self.model = model

        def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
            return self.model.predict(model_input)


def _requirements(distributions: list[str]) -> list[str]:
    pins = []
    for name in ["cloudpickle", "numpy", "pandas", *distributions]:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return sorted(set(pins))


@dataclass(frozen=True)
class ModelRef:
    """A registered model version."""

    name: str
    version: str


def log_model(
    model: Any,
    registered_name: str,
    input_example: pd.DataFrame,
    requirements: list[str] | None = None,
) -> ModelRef:
    """Log a fitted model to the active run and register it, with signature and example.

    A model whose pickled bytes equal those of an existing version of
    ``registered_name`` (a re-run on the same data with the same seed) is not
    registered again: that version is returned, so re-runs give identical outputs.

    Args:
        model: The fitted object; ``model.predict(input_example)`` must work.
        registered_name: The registry name (e.g. ``churn``).
        input_example: A few rows of model input, stored with the model once its person
            ids are replaced (:func:`example_without_people`).
        requirements: Extra pip distributions the model needs (pinned to the installed
            versions).

    Returns:
        The registered version.
    """
    fingerprint = hashlib.sha256(pickle.dumps(model, protocol=5)).hexdigest()
    input_example = example_without_people(input_example)
    signature = infer_signature(input_example, model.predict(input_example))
    client = MlflowClient()
    existing = [
        version
        for version in client.search_model_versions(f"name = '{registered_name}'")
        if version.tags.get(_FINGERPRINT_TAG) == fingerprint
    ]
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=_WrappedModel(model),
        signature=signature,
        input_example=input_example,
        pip_requirements=_requirements(requirements or []),
        registered_model_name=None if existing else registered_name,
    )
    if existing:
        version = str(min(int(v.version) for v in existing))
        mlflow.set_tag("registered_version", version)
        return ModelRef(registered_name, version)
    version = str(info.registered_model_version)
    client.set_model_version_tag(registered_name, version, _FINGERPRINT_TAG, fingerprint)
    client.update_model_version(
        registered_name, version, description=version_description(registered_name)
    )
    mlflow.set_tag("registered_version", version)
    return ModelRef(registered_name, version)


#: Columns of model input that name a person.
PERSON_ID_COLUMNS = ("person_id",)


def example_without_people(frame: pd.DataFrame) -> pd.DataFrame:
    """An input example that names nobody: person ids replaced by ``example-<n>``.

    MLflow stores the example beside the model (``input_example.json``,
    ``serving_input_example.json``) for as long as the version exists; real ids there
    would outlive an erasure. The other columns (features) stay, so the example still
    shows the input's shape and types; a model that keys on the id (recommendations)
    returns nothing for an example id, and its signature still has every column.
    """
    frame = frame.copy()
    for column in PERSON_ID_COLUMNS:
        if column in frame.columns:
            frame[column] = [f"example-{i}" for i in range(len(frame))]
    return frame


def version_description(registered_name: str) -> str:
    """What a new version of ``registered_name`` is: its run, the run's name and tags."""
    run = mlflow.active_run()
    if run is None:
        return f"{registered_name}, logged outside a training run."
    tags = {key: value for key, value in run.data.tags.items() if not key.startswith("mlflow.")}
    told = ", ".join(f"{key}={value}" for key, value in sorted(tags.items()))
    return (
        f"{registered_name} trained in run '{run.info.run_name}' ({run.info.run_id})"
        + (f"; {told}" if told else "")
        + ". Takes the alias champion only if it scores at least as well as the current"
        " champion on this run's holdout."
    )


def load_model(ref: ModelRef) -> Any:
    """Load a registered version back as the object that was logged."""
    loaded = mlflow.pyfunc.load_model(f"models:/{ref.name}/{ref.version}")
    return loaded.unwrap_python_model().model


def alias_version(name: str, alias: str, tracking_uri: str | None = None) -> ModelRef | None:
    """The version an alias points to, or None when the alias (or model) does not exist."""
    client = MlflowClient(tracking_uri)
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return ModelRef(name, str(version.version))


@dataclass(frozen=True)
class Promotion:
    """What the registry decided for a new version.

    Attributes:
        new: The version just trained.
        champion: The version scoring should use (the new one when promoted).
        promoted: Whether the new version became champion.
        new_score: The new version's holdout metric.
        champion_score: The previous champion's metric on the same holdout, when there
            was a different champion.
    """

    new: ModelRef
    champion: ModelRef
    promoted: bool
    new_score: float
    champion_score: float | None


def promote(
    new: ModelRef,
    new_score: float,
    evaluate_champion: Callable[[Any], float],
    metric_name: str,
    greater_is_better: bool = True,
) -> Promotion:
    """Give ``new`` the champion alias if it is at least as good, else the challenger alias.

    Args:
        new: The version just registered.
        new_score: Its metric on this run's holdout.
        evaluate_champion: Scores a loaded model on this run's holdout; called with the
            current champion (when it is another version) so both are compared on the
            same data.
        metric_name: Name of the metric, recorded as version tags.
        greater_is_better: Direction of the metric.
    """
    client = MlflowClient()
    current = alias_version(new.name, CHAMPION)
    champion_score = None
    if current is None or current.version == new.version:
        promoted = True
    else:
        champion_score = float(evaluate_champion(load_model(current)))
        promoted = new_score >= champion_score if greater_is_better else new_score <= champion_score
    client.set_model_version_tag(new.name, new.version, f"holdout_{metric_name}", str(new_score))
    if promoted:
        client.set_registered_model_alias(new.name, CHAMPION, new.version)
        challenger = alias_version(new.name, CHALLENGER)
        if challenger is not None and challenger.version == new.version:
            client.delete_registered_model_alias(new.name, CHALLENGER)
        champion = new
    else:
        client.set_registered_model_alias(new.name, CHALLENGER, new.version)
        champion = current
    if mlflow.active_run() is not None:
        log_metrics({"promoted": float(promoted)})
        if champion_score is not None:
            log_metrics({f"champion_{metric_name}": champion_score})
        mlflow.set_tag("champion_version", champion.version)
    return Promotion(new, champion, promoted, float(new_score), champion_score)


#: Tag of a run recorded for a model the night could not train.
SKIPPED_TAG = "skipped"


def record_skip(experiment: str, run_date: str, reason: str, tracking_uri: str) -> str:
    """Record that ``experiment``'s model was not trained on ``run_date``, and why.

    The run carries the tags ``skipped = true``, ``skip_reason`` and ``run_date`` and
    no model, so the experiment's history shows every night, trained or not.

    Returns:
        The run id.
    """
    tags = {"run_date": run_date, SKIPPED_TAG: "true", "skip_reason": reason[:5000]}
    with training_run(experiment, f"{experiment} {run_date} (skipped)", tracking_uri, tags) as run:
        return run


#: Version tag: the last date the version's training data covers (the run date it was
#: trained on).
TRAINED_THROUGH_TAG = "trained_through"
#: Version tag: the version scored a night it was trained on, or compared on (it won,
#: or it stayed champion): a later night may score with it without training.
SELECTED_TAG = "selected"


def trained_through(ref: ModelRef) -> str | None:
    """The ``trained_through`` tag of a version (``YYYY-MM-DD``), None when untagged."""
    version = MlflowClient().get_model_version(ref.name, ref.version)
    return version.tags.get(TRAINED_THROUGH_TAG)


def promote_as_of(
    new: ModelRef,
    new_score: float,
    evaluate_champion: Callable[[Any], float],
    metric_name: str,
    run_date: str,
    greater_is_better: bool = True,
) -> Promotion:
    """:func:`promote`, for a night of ``run_date``: only models trained through it count.

    The new version is tagged ``trained_through = run_date`` (a version registered
    again by fingerprint keeps its first tag). When no other version of the model was
    trained on a later date, this is :func:`promote`. Otherwise the night is a
    backfill: no alias moves, a champion trained after ``run_date`` is neither loaded
    nor evaluated, and the night scores with the better of the new version and a
    champion trained through ``run_date`` (``promoted`` is then False; ``champion``
    names the version to score with). Versions without the tag (registered before it
    existed) count as trained through any date.

    Args:
        new: The version just registered.
        new_score: Its metric on this run's holdout.
        evaluate_champion: Scores a loaded model on this run's holdout.
        metric_name: Name of the metric, recorded as version tags.
        run_date: The night's run date, ``YYYY-MM-DD``.
        greater_is_better: Direction of the metric.
    """
    client = MlflowClient()
    if trained_through(new) is None:
        client.set_model_version_tag(new.name, new.version, TRAINED_THROUGH_TAG, run_date)
    later = [
        str(version.version)
        for version in client.search_model_versions(f"name = '{new.name}'")
        if str(version.version) != new.version
        and version.tags.get(TRAINED_THROUGH_TAG, "") > run_date
    ]
    if not later:
        decision = promote(new, new_score, evaluate_champion, metric_name, greater_is_better)
        client.set_model_version_tag(new.name, decision.champion.version, SELECTED_TAG, "true")
        return decision
    current = alias_version(new.name, CHAMPION)
    usable = (
        current
        if current is not None
        and current.version != new.version
        and (trained_through(current) or "") <= run_date
        else None
    )
    champion_score = float(evaluate_champion(load_model(usable))) if usable else None
    keep_new = champion_score is None or (
        new_score >= champion_score if greater_is_better else new_score <= champion_score
    )
    scorer = new if keep_new else usable
    client.set_model_version_tag(new.name, new.version, f"holdout_{metric_name}", str(new_score))
    client.set_model_version_tag(scorer.name, scorer.version, SELECTED_TAG, "true")
    if mlflow.active_run() is not None:
        log_metrics({"promoted": 0.0, "backfill": 1.0})
        if champion_score is not None:
            log_metrics({f"champion_{metric_name}": champion_score})
        mlflow.set_tag("champion_version", scorer.version)
        mlflow.set_tag("backfill_later_versions", ",".join(sorted(later, key=int)))
    return Promotion(new, scorer, False, float(new_score), champion_score)


@dataclass(frozen=True)
class Schedule:
    """What the registry holds for a night of ``run_date``, for the retrain cadence.

    Attributes:
        scorer: The version a night that does not train scores with: the champion when
            it was trained through ``run_date``, otherwise (a backfill before the
            champion's data) the latest version trained through ``run_date`` that
            scored a night it was trained or compared on. None when there is none.
        scorer_trained_through: The ``trained_through`` tag of ``scorer``.
        last_trained: The latest ``trained_through`` of any version, at most
            ``run_date``: when the model last trained for this night's timeline.
    """

    scorer: ModelRef | None
    scorer_trained_through: str | None
    last_trained: str | None

    def days_since_training(self, run_date: str) -> int | None:
        """Days from :attr:`last_trained` to ``run_date``; None when never trained."""
        if self.last_trained is None:
            return None
        return (dt.date.fromisoformat(run_date) - dt.date.fromisoformat(self.last_trained)).days


def schedule(name: str, run_date: str, tracking_uri: str | None = None) -> Schedule:
    """The registry's versions of ``name`` that a night of ``run_date`` may use.

    Only versions tagged ``trained_through`` on or before ``run_date`` count: a night
    never scores with, or times its cadence from, a model trained on later data.
    """
    client = MlflowClient(tracking_uri)
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        versions = []
    usable = sorted(
        (
            (version.tags[TRAINED_THROUGH_TAG], int(version.version), version)
            for version in versions
            if version.tags.get(TRAINED_THROUGH_TAG, "9999") <= run_date
        ),
        key=lambda entry: entry[:2],
    )
    if not usable:
        return Schedule(None, None, None)
    champion = alias_version(name, CHAMPION, tracking_uri)
    by_version = {str(number): through for through, number, _ in usable}
    if champion is not None and champion.version in by_version:
        scorer: ModelRef | None = champion
    else:
        selected = [str(number) for _, number, version in usable if version.tags.get(SELECTED_TAG)]
        scorer = ModelRef(name, selected[-1]) if selected else None
    return Schedule(
        scorer,
        by_version[scorer.version] if scorer is not None else None,
        usable[-1][0],
    )


#: The artifact of a training run holding what its night returned (JSON).
NIGHT_RESULT = "night_result.json"


def save_night_result(ref: ModelRef, result: dict[str, Any], tracking_uri: str) -> None:
    """Keep a training night's result (JSON-safe) with the run that registered ``ref``."""
    client = MlflowClient(tracking_uri)
    run_id = client.get_model_version(ref.name, ref.version).run_id
    client.log_dict(run_id, result, NIGHT_RESULT)


def night_result(ref: ModelRef, tracking_uri: str) -> dict[str, Any] | None:
    """What the night that trained ``ref`` returned, None when it was not kept."""
    import json
    import tempfile

    client = MlflowClient(tracking_uri)
    run_id = client.get_model_version(ref.name, ref.version).run_id
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = client.download_artifacts(run_id, NIGHT_RESULT, folder)
        except (MlflowException, OSError):
            return None
        return json.loads(Path(path).read_text())
