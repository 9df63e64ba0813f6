"""One stage of the nightly pipeline, run the way the DAG's task runs it.

``python -m bench.stage <stage> --run-date YYYY-MM-DD`` calls the same plain function
in ``warehouse.pipeline`` that the Airflow task calls, with settings from the
environment, so the benchmark measures exactly what a nightly run does.
"""

from __future__ import annotations

import argparse
import sys

STAGES = (
    "load",
    "dbt_marts",
    "init_mlflow",
    "segments",
    "churn",
    "recommendations",
    "dbt_audiences",
    "export",
)


def run_stage(stage: str, run_date: str) -> None:
    """Run one pipeline stage for ``run_date``."""
    from warehouse import pipeline

    if stage == "load":
        pipeline.load_extracts()
    elif stage == "dbt_marts":
        pipeline.run_dbt("marts", run_date)
    elif stage == "init_mlflow":
        pipeline.init_mlflow()
    elif stage in pipeline.ML_MODELS:
        pipeline.score(stage, run_date)
    elif stage == "dbt_audiences":
        pipeline.run_dbt("audiences", run_date)
    elif stage == "export":
        staged = pipeline.stage_and_audit(run_date, generated_at=f"{run_date}T00:00:00Z")
        pipeline.publish(staged["staging_dir"])
    else:
        raise SystemExit(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.stage")
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--run-date", required=True)
    args = parser.parse_args(argv)
    run_stage(args.stage, args.run_date)
    return 0


if __name__ == "__main__":
    sys.exit(main())
