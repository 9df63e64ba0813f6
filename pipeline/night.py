"""The steps of one night, listed once, in an order that respects their dependencies.

Each :class:`Step` names a plain function, the steps that must finish before it,
which of their results it takes as arguments, whether it opens the DuckDB file (and so
must wait for the one writer's slot) and whether a :class:`~pipeline.errors.DataError`
fails it without retry. The Airflow DAG builds one task per step from :data:`STEPS`;
the benchmark runs a step by name with :func:`run_step`. Neither keeps a list of its
own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

from ml.registry import MODELS
from pipeline.dbt import check_freshness, run_dbt
from pipeline.export import publish, stage_and_audit
from pipeline.load import load_extracts
from pipeline.models import init_mlflow, score
from pipeline.privacy import apply_erasures
from pipeline.run_date import resolve_run
from warehouse.files import private_umask

#: The input of the first step, supplied by whoever starts the night (not a step):
#: ``{"run_date": <requested date or empty>, "run_after": <datetime the run was due>}``.
REQUEST = "request"


@dataclass(frozen=True)
class Step:
    """One step of the night.

    Attributes:
        name: Step name; the Airflow task id.
        function: The plain function that does the work.
        doc: One line on what the step does (the task's documentation).
        upstream: Steps that must have finished before this one starts.
        inputs: Argument of ``function`` -> the step whose result it receives (or
            :data:`REQUEST`); every such step is also upstream.
        opens_duckdb: Opens the warehouse file, so it runs in the one-writer pool.
        fails_fast: A ``DataError`` fails the step at once instead of retrying.
    """

    name: str
    function: Callable[..., Any]
    doc: str
    upstream: tuple[str, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    opens_duckdb: bool = False
    fails_fast: bool = False

    @property
    def sources(self) -> tuple[str, ...]:
        """The steps (or :data:`REQUEST`) whose results this step reads."""
        return tuple(dict.fromkeys(self.inputs.values()))


def _dbt_phase(
    run: dict[str, Any], loaded: dict[str, Any] | None = None, *, phase: str
) -> dict[str, Any]:
    from pipeline.guards import guard_volumes  # imports duckdb: not at DAG parse time

    stale = []
    if phase == "marts":
        # Freshness is about the latest night: a backfill of an older date still runs.
        last = (loaded or {}).get("last_delivery")
        stale = check_freshness(strict=not last or run["run_date"] >= last)
    result = run_dbt(phase, run["run_date"])
    accept = True if run.get("accept_volume_change") else None
    rows = guard_volumes(phase, run["run_date"], accept_change=accept)
    if phase == "audiences":
        from pipeline.lift import frequency_capped  # numpy, duckdb: not at DAG parse time

        result["frequency_capped"] = frequency_capped(run["run_date"])
    return {**result, "rows": rows, **({"freshness_warnings": stale} if stale else {})}


def _audience_lift(run: dict[str, str]) -> dict[str, Any]:
    from pipeline.lift import audience_lift  # statsmodels, duckdb: not at DAG parse time

    return audience_lift(run)


def _score(run: dict[str, Any], *, model: str) -> dict[str, Any]:
    return score(model, run["run_date"], retrain=bool(run.get("retrain")))


def _stage_and_audit(run: dict[str, str]) -> dict[str, Any]:
    return stage_and_audit(run["run_date"], run["generated_at"])


def _publish(staged: dict[str, Any]) -> str:
    return publish(staged["staging_dir"])


_RUN = {"run": "resolve_run"}

STEPS: tuple[Step, ...] = (
    Step(
        "resolve_run",
        resolve_run,
        "Resolve the run date once; every later step reads it from here.",
        inputs={"request": REQUEST},
    ),
    Step(
        "load_extracts",
        load_extracts,
        "Load the new or changed extracts of the landing folder into raw; check they "
        "cover the run date.",
        upstream=("resolve_run",),
        inputs=_RUN,
        opens_duckdb=True,
        fails_fast=True,
    ),
    Step(
        "dbt_build_marts",
        partial(_dbt_phase, phase="marts"),
        "dbt source freshness, then dbt build of seeds, staging, intermediate and marts; "
        "tests and volume guards.",
        upstream=("resolve_run", "load_extracts"),
        inputs={**_RUN, "loaded": "load_extracts"},
        opens_duckdb=True,
        fails_fast=True,
    ),
    Step(
        "init_mlflow",
        init_mlflow,
        "Create the MLflow store and the experiments before the models train.",
        upstream=("dbt_build_marts",),
    ),
    *(
        Step(
            model,
            partial(_score, model=model),
            f"Score the {model} model as of the run date; train, evaluate and register it "
            "first when it is due (PZ_RETRAIN_DAYS).",
            upstream=("resolve_run", "init_mlflow"),
            inputs=_RUN,
            opens_duckdb=True,
            fails_fast=True,
        )
        for model in MODELS
    ),
    Step(
        "audience_lift",
        _audience_lift,
        "Lift on the holdouts of earlier nights whose outcome windows are open or just "
        "closed (marts.audience_lift); tonight's variant posteriors.",
        upstream=("resolve_run", "dbt_build_marts"),
        inputs=_RUN,
        opens_duckdb=True,
        fails_fast=True,
    ),
    Step(
        "dbt_build_audiences",
        partial(_dbt_phase, phase="audiences"),
        "dbt build of the audience models and membership, the membership-history snapshots "
        "and segment transitions; tests and volume guards included.",
        upstream=("resolve_run", *MODELS, "audience_lift"),
        inputs=_RUN,
        opens_duckdb=True,
        fails_fast=True,
    ),
    Step(
        "audit_exports",
        _stage_and_audit,
        "Write every audience file to a hidden folder and audit it.",
        upstream=("resolve_run", "dbt_build_audiences"),
        inputs=_RUN,
        opens_duckdb=True,
        fails_fast=True,
    ),
    Step(
        "publish_exports",
        _publish,
        "Rename the audited folder into place; manifest.json last.",
        upstream=("audit_exports",),
        inputs={"staged": "audit_exports"},
    ),
    Step(
        "apply_erasures",
        apply_erasures,
        "Erase the people of new erasure requests from raw, identity, ml, earlier export "
        "folders and MLflow; write the erasure log.",
        upstream=("resolve_run", "publish_exports"),
        inputs=_RUN,
        opens_duckdb=True,
        fails_fast=True,
    ),
)

STEPS_BY_NAME: Mapping[str, Step] = MappingProxyType({step.name: step for step in STEPS})


def _check(steps: tuple[Step, ...]) -> None:
    """Names unique, every upstream step listed earlier, every input upstream."""
    seen: set[str] = set()
    for step in steps:
        if step.name in seen or step.name == REQUEST:
            raise ValueError(f"step name {step.name!r} is used twice or reserved")
        unknown = set(step.upstream) - seen
        if unknown:
            raise ValueError(f"{step.name}: upstream {sorted(unknown)} not listed before it")
        unread = set(step.sources) - set(step.upstream) - {REQUEST}
        if unread:
            raise ValueError(f"{step.name}: reads {sorted(unread)} without depending on it")
        seen.add(step.name)


_check(STEPS)


def run_step(name: str, results: Mapping[str, Any]) -> Any:
    """Run one step with the results it reads.

    Args:
        name: The step's name.
        results: Step name (or :data:`REQUEST`) -> its result; at least the step's
            :attr:`Step.sources`.

    Everything the step creates is owner-only (:func:`warehouse.files.private_umask`).

    Returns:
        What the step's function returned (JSON-safe: Airflow keeps it as XCom).

    Raises:
        KeyError: No such step, or a result it reads is missing.
    """
    if name not in STEPS_BY_NAME:
        raise KeyError(f"unknown step {name!r}; expected one of {', '.join(STEPS_BY_NAME)}")
    step = STEPS_BY_NAME[name]
    missing = [source for source in step.sources if source not in results]
    if missing:
        raise KeyError(f"{name}: missing the result of {', '.join(missing)}")
    private_umask()
    return step.function(**{arg: results[source] for arg, source in step.inputs.items()})
