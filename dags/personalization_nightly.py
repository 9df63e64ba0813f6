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
            "run_after": dag_run.run_after,
        }
        with fail_fast() if step.fails_fast else nullcontext():
            return run_step(step.name, {**reads, REQUEST: request})

    run.__doc__ = step.doc
    return task(run, task_id=step.name, doc_md=step.doc, **pool)


@dag(
    schedule=NIGHTLY_SCHEDULE,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "run_date": Param(
            "",
            type="string",
            pattern=r"^(\d{4}-\d{2}-\d{2})?$",
            description="Last complete day to cover (YYYY-MM-DD); empty: the day before "
            "the run's run_after.",
        ),
        "accept_volume_change": Param(
            False,
            type="boolean",
            description="Publish even though a mart or audience shrank by more than the "
            "allowed share since the previous night (an empty required mart still fails).",
        ),
    },
    tags=["personalization", "nightly"],
)
def personalization_nightly() -> None:
    """Nightly personalization: raw extracts to published audience files.

    ### What it does
    Loads the extracts that arrived in `PZ_LANDING_DIR`, builds staging to marts with
    dbt (tests included), trains and scores the segment, churn and recommendation models
    (tracked in MLflow), builds the audience models, then writes every audience file to
    a hidden folder, audits it and publishes it to `PZ_EXPORT_DIR/<run_date>/` in one
    rename, `manifest.json` last.

    ### Tasks
    One task per step of `pipeline.night.STEPS`, wired as that list says; each calls
    the step's plain function.

    ### Run date
    One `run_date` drives the whole run: the `run_date` param when given (backfills:
    trigger with `{"run_date": "YYYY-MM-DD"}`), otherwise the day before the run's
    `run_after`. `resolve_run` computes it once; every other task gets it from there.
    Any date runs: the run's start and logical dates play no part in it.

    ### Failures
    A rejected extract file, a failed dbt model or test, a volume guard (a required mart
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
