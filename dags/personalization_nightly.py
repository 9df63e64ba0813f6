"""The nightly personalization DAG; its documentation is the DAG function's docstring."""

from __future__ import annotations

from _common import DEFAULT_ARGS, DUCKDB_POOL, NIGHTLY_SCHEDULE, START_DATE, fail_fast
from airflow.sdk import Param, dag, task


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
        )
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

    ### Run date
    One `run_date` drives the whole run: the `run_date` param when given (backfills:
    trigger with `{"run_date": "YYYY-MM-DD"}`), otherwise the day before the run's
    `run_after`. `resolve_run` computes it once; every other task gets it from there.

    ### Failures
    A rejected extract file, a failed dbt model or test, or a failed export audit fails
    its task without retry and nothing is published: the last good exports stay. Other
    errors are retried with exponential back-off.

    ### Schedule and pool
    `0 3 * * *` (UTC) unless `PZ_SCHEDULE` says otherwise; one run at a time. Tasks that
    open the DuckDB file share the one-slot pool `duckdb_writer`.
    """

    @task
    def resolve_run(params: dict | None = None, dag_run=None) -> dict[str, str]:
        """Resolve the run date once; every later task reads it from this XCom."""
        from warehouse.pipeline import resolve_run_date

        run_date = resolve_run_date((params or {}).get("run_date"), dag_run.run_after)
        # The manifest's generated_at is the run's run_after: from the run, not the clock.
        return {"run_date": run_date, "generated_at": dag_run.run_after.isoformat()}

    @task(pool=DUCKDB_POOL)
    def load_extracts() -> dict[str, int]:
        from warehouse import pipeline

        with fail_fast():
            return pipeline.load_extracts()

    @task(pool=DUCKDB_POOL)
    def dbt_build_marts(run: dict[str, str]) -> dict:
        from warehouse import pipeline

        with fail_fast():
            return pipeline.run_dbt("marts", run["run_date"])

    @task
    def init_mlflow() -> str:
        from warehouse import pipeline

        return pipeline.init_mlflow()

    @task(pool=DUCKDB_POOL)
    def segments(run: dict[str, str]) -> dict:
        from warehouse import pipeline

        return pipeline.score("segments", run["run_date"])

    @task(pool=DUCKDB_POOL)
    def churn(run: dict[str, str]) -> dict:
        from warehouse import pipeline

        return pipeline.score("churn", run["run_date"])

    @task(pool=DUCKDB_POOL)
    def recommendations(run: dict[str, str]) -> dict:
        from warehouse import pipeline

        return pipeline.score("recommendations", run["run_date"])

    @task(pool=DUCKDB_POOL)
    def dbt_build_audiences(run: dict[str, str]) -> dict:
        from warehouse import pipeline

        with fail_fast():
            return pipeline.run_dbt("audiences", run["run_date"])

    @task(pool=DUCKDB_POOL)
    def audit_exports(run: dict[str, str]) -> dict:
        """Write every audience file to a hidden folder and audit it."""
        from warehouse import pipeline

        with fail_fast():
            return pipeline.stage_and_audit(run["run_date"], run["generated_at"])

    @task
    def publish_exports(staged: dict) -> str:
        """Rename the audited folder into place; manifest.json last."""
        from warehouse import pipeline

        return pipeline.publish(staged["staging_dir"])

    run = resolve_run()
    marts = dbt_build_marts(run)
    scores = [segments(run), churn(run), recommendations(run)]
    audiences = dbt_build_audiences(run)
    staged = audit_exports(run)
    run >> load_extracts() >> marts >> init_mlflow() >> scores >> audiences >> staged
    publish_exports(staged)


personalization_nightly()
