"""The nightly personalization DAG; its documentation is the DAG function's docstring."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from _common import DEFAULT_ARGS, DUCKDB_POOL, NIGHTLY_SCHEDULE, START_DATE, fail_fast
from airflow.sdk import Param, dag, task

from pipeline.night import REQUEST, STEPS, Step, run_step


def _task(step: Step) -> Any:
    """The TaskFlow task of one step: it calls the step's plain function, nothing more.

    Args:
        step: The step; its name is the task id.

    Returns:
        The decorated task; calling it with the results the step reads adds it to the DAG.
    """
    pool = {"pool": DUCKDB_POOL} if step.opens_duckdb else {}

    def run(reads: dict[str, Any], params: dict | None = None, dag_run=None) -> Any:
        params = params or {}
        request = {
            "run_date": params.get("run_date"),
            "accept_volume_change": params.get("accept_volume_change"),
            "allow_future": params.get("allow_future"),
            "retrain": params.get("retrain"),
            "run_after": dag_run.run_after,
            "run_type": str(getattr(dag_run.run_type, "value", dag_run.run_type)),
            "logical_date": dag_run.logical_date,
        }
        with fail_fast() if step.fails_fast else nullcontext():
            return run_step(step.name, {**reads, REQUEST: request})

    run.__doc__ = step.doc
    return task(run, task_id=step.name, doc_md=step.doc, **pool)


@dag(
    description="Nightly personalization: raw extracts to audited, published audience files.",
    schedule=NIGHTLY_SCHEDULE,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "run_date": Param(
            None,
            type=["null", "string"],
            pattern=r"^(\d{4}-\d{2}-\d{2})?$",
            description="Last complete day to cover (YYYY-MM-DD). Leave empty for the "
            "default: a backfill's run covers its logical date's day, any other run the "
            "day before its run_after.",
        ),
        "accept_volume_change": Param(
            False,
            type="boolean",
            description="Publish even though a mart or audience shrank by more than the "
            "allowed share since the previous night (an empty required mart still fails).",
        ),
        "allow_future": Param(
            False,
            type="boolean",
            description="Run even though the run date is after the last delivery (the "
            "audiences then miss the days not delivered yet).",
        ),
        "retrain": Param(
            False,
            type="boolean",
            description="Train every model tonight, even those not due by their cadence "
            "(PZ_RETRAIN_DAYS, weekly by default).",
        ),
    },
    tags=["personalization", "nightly"],
)
def personalization_nightly() -> None:
    """Nightly personalization: raw extracts to published audience files.

    ### What it does
    Loads the extracts that arrived in `PZ_LANDING_DIR`, builds staging to marts with
    dbt (tests included), scores the segment, churn, recommendation and customer value
    models (each retrains on its cadence, weekly by default; tracked in MLflow), builds
    the audience models, then writes every audience file to a hidden folder, audits it
    and publishes it to `PZ_EXPORT_DIR/<run_date>/` in one
    rename, `manifest.json` last.

    ### Tasks
    One task per step of `pipeline.night.STEPS`, wired as that list says; each calls
    the step's plain function.

    ### Run date
    One `run_date` drives the whole run: the `run_date` param when given (trigger with
    `{"run_date": "YYYY-MM-DD"}`); for a run of a backfill (`airflow backfill create
    --from-date D1 --to-date D2`, or the Backfill form) the day of its logical date, so
    the backfill covers each date of the range once; otherwise the day before the run's
    `run_after` (the night of 1 April covers 31 March). `resolve_run` computes it once;
    every other task gets it from there. A run date after the last delivery is refused
    unless the `allow_future` param (or `PZ_ALLOW_FUTURE=1`) allows it.

    ### Paused at creation
    A new DAG starts paused: its scheduled runs and backfills stay queued until it is
    unpaused (the toggle in the UI, or `airflow dags unpause personalization_nightly`).

    ### Failures
    No extracts at all, no order on or before the run date, a run date after the last
    delivery, a model that cannot train on the data, a rejected extract file, a source
    past its freshness error threshold, a failed dbt model or test, a volume guard (a required mart
    empty, or a mart or audience down by more than half since the previous night: the
    `accept_volume_change` param or `PZ_ACCEPT_VOLUME_CHANGE=1` accepts a shrink), or a
    failed export audit fails its task without retry and nothing is published: the last
    good exports stay. Other errors are retried with exponential back-off.

    ### Schedule and pool
    `0 3 * * *` (UTC) unless `PZ_SCHEDULE` says otherwise; one run at a time. Tasks that
    open the DuckDB file share the one-slot pool `duckdb_writer`.
    """

    outputs: dict[str, Any] = {}
    for step in STEPS:
        reads = {source: outputs[source] for source in step.sources if source != REQUEST}
        outputs[step.name] = _task(step)(reads)
        for upstream in step.upstream:
            outputs[upstream] >> outputs[step.name]


personalization_nightly()
