"""One step of the nightly pipeline, run the way the DAG's task runs it.

``python -m bench.stage <step> --run-date YYYY-MM-DD`` runs the step of
:data:`pipeline.night.STEPS` with that name, with settings from the environment, so
the benchmark measures exactly what a nightly run does. Each step runs in its own
process; the results a later step reads (what Airflow would pass as XCom) are kept as
JSON files in ``$PZ_HOME/bench/steps/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.night import REQUEST, STEPS, STEPS_BY_NAME, run_step
from pipeline.run_date import parse_run_date
from warehouse.settings import load_settings

STAGES = tuple(step.name for step in STEPS)


def results_dir() -> Path:
    """Where the steps' results are kept between processes."""
    return load_settings().home / "bench" / "steps"


def run_stage(stage: str, run_date: str, folder: Path | None = None) -> Any:
    """Run one step for ``run_date``, reading the results of earlier steps from ``folder``.

    The run is requested for ``run_date`` and due at midnight UTC after it, as a
    scheduled run for that day would be.

    Returns:
        The step's result (also written to ``<folder>/<step>.json``).
    """
    folder = folder or results_dir()
    run_date = parse_run_date(run_date)
    due = dt.datetime.combine(dt.date.fromisoformat(run_date), dt.time(), dt.UTC)
    results: dict[str, Any] = {REQUEST: {"run_date": run_date, "run_after": due + dt.timedelta(1)}}
    for source in STEPS_BY_NAME[stage].sources:
        if source != REQUEST:
            results[source] = json.loads((folder / f"{source}.json").read_text())
    result = run_step(stage, results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stage}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


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
