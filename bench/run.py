"""``make bench SCALE=S|M|L``: the whole nightly pipeline, time and memory per stage.

Generates (or reuses) a year of sample extracts for the scale, then runs two scenarios,
every stage of the nightly pipeline each in its own process exactly as the DAG's task
would, measuring wall time and peak resident memory:

* the backfill: a year of history, every delivery but the last day's, into an empty
  warehouse and a fresh MLflow store, for the day before the last (every model trains);
* the nightly: the last day's deliveries on top of it, for the last day (the models
  were trained the night before, so with the default weekly cadence they only score).

Also measures the fixed start-up costs (dbt parsing the project, importing MLflow and
the DAG) so they can be weighed against the work. Writes ``bench/results/<scale>.json``
(the backfill's ``stages`` and ``total``, and ``nightly`` in the same shape) and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import duckdb
import psutil

from bench.measure import Measurement, run_measured
from bench.stage import STAGES
from warehouse.settings import DBT_PROJECT_DIR, REPO_ROOT

SCALES = {"S": 10_000, "M": 100_000, "L": 1_000_000}
DAYS = 365
END_DATE = dt.date(2026, 11, 21)
BENCH_DIR = REPO_ROOT / "bench"


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def ensure_sample(scale: str, seed: int, log: Path) -> tuple[Path, dict, Measurement | None]:
    """The cached landing folder for a scale and seed, generated if missing."""
    cache = BENCH_DIR / "cache" / f"{scale}-seed{seed}"
    landing = cache / "landing"
    summary_path = cache / "summary.json"
    if summary_path.exists():
        return landing, json.loads(summary_path.read_text()), None
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    measured = run_measured(
        "generate",
        [
            sys.executable, "-m", "warehouse.synthetic",
            "--customers", str(SCALES[scale]), "--days", str(DAYS),
            "--end-date", END_DATE.isoformat(), "--seed", str(seed), "--out", str(landing),
        ],
        log_path=str(log),
    )  # fmt: skip
    if measured.returncode != 0:
        raise SystemExit(f"generating the {scale} sample failed; see {log}")
    files = [p for p in landing.rglob("*") if p.is_file() and "_truth" not in p.parts]
    summary = {
        "events": _count_events(landing),
        "input_bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
        "generate": {"wall_s": measured.wall_s, "peak_rss_mb": measured.peak_rss_mb},
    }
    summary_path.write_text(json.dumps(summary, indent=2))
    return landing, summary, measured


def _count_events(landing: Path) -> int:
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from read_csv('{landing}/web/*/events.jsonl.gz', "
            "columns={'line': 'VARCHAR'}, header=false, delim='\x1e', quote='', escape='')"
        ).fetchone()[0]


def overheads(env: dict[str, str], log: Path) -> list[Measurement]:
    """Fixed costs paid on every run whatever the data size."""
    dbt = str(Path(sys.executable).with_name("dbt"))
    return [
        run_measured(
            "overhead: dbt parse",
            [dbt, "parse", "--profiles-dir", ".", "--no-partial-parse"],
            env=env,
            cwd=str(DBT_PROJECT_DIR),
            log_path=str(log),
        ),
        run_measured(
            "overhead: import mlflow",
            [sys.executable, "-c", "import mlflow"],
            env=env,
            log_path=str(log),
        ),
        run_measured(
            "overhead: import the DAG",
            [sys.executable, "-c", "import sys; sys.path.insert(0, 'dags'); "
             "import personalization_nightly"],
            env=env,
            cwd=str(REPO_ROOT),
            log_path=str(log),
        ),
    ]  # fmt: skip


def _stage_table(title: str, part: dict) -> list[str]:
    lines = [f"| {title} | wall (s) | peak RSS (MB) |", "| --- | ---: | ---: |"]
    for s in part["stages"]:
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {s['peak_rss_mb']:,.0f} |")
    t = part["total"]
    lines.append(f"| **total** | **{t['wall_s']:.1f}** | **{t['peak_rss_mb']:,.0f}** |")
    return lines


def markdown(result: dict) -> str:
    """The result as Markdown tables: the backfill, the nightly, the fixed overheads."""
    m = result["machine"]
    lines = [
        f"### Scale {result['scale']}: {result['customers']:,} customers, "
        f"{result['events']:,} events, {result['input_bytes'] / 2**20:,.0f} MiB of extracts",
        "",
        f"Measured {result['measured_on']} on {m['cpus']} CPUs, {m['memory_gb']} GB "
        f"({m['platform']}, Python {m['python']}, DuckDB {m['duckdb']}).",
        "",
    ]
    backfill = "backfill stage"
    if result.get("run_date"):
        backfill += f" ({result['run_date']})"
    lines += _stage_table(backfill, result)
    nightly = result.get("nightly")
    if nightly:
        trained = nightly.get("models_trained") or {}
        lines += ["", *_stage_table(f"nightly stage ({nightly['run_date']})", nightly)]
        if trained:
            lines += ["", "Models trained on the nightly: " + ", ".join(
                f"{name} {'yes' if done else 'no (scored only)'}"
                for name, done in trained.items()
            ) + "."]  # fmt: skip
    lines += ["", "| fixed overhead | wall (s) | peak RSS (MB) |", "| --- | ---: | ---: |"]
    for s in result["overheads"]:
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {s['peak_rss_mb']:,.0f} |")
    g = result.get("generate")
    if g:
        lines += ["", f"Generating the sample took {g['wall_s']:.0f} s "
                  f"(peak {g['peak_rss_mb']:,.0f} MB); it is cached and not counted."]  # fmt: skip
    return "\n".join(lines) + "\n"


def deliver_until(landing: Path, target: Path, last: dt.date) -> int:
    """Hard-link the delivery folders of ``landing`` dated on or before ``last`` into
    ``target`` (the landing folder as it was that night); returns the files added."""
    added = 0
    for folder in sorted(landing.glob("*/*")):
        if folder.parent.name.startswith("_") or not folder.is_dir():
            continue
        try:
            day = dt.date.fromisoformat(folder.name)
        except ValueError:
            continue
        if day > last:
            continue
        for path in folder.rglob("*"):
            link = target / path.relative_to(landing)
            if path.is_dir() or link.exists():
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
            added += 1
    return added


def _part(stages: list[Measurement]) -> dict:
    return {
        "stages": [
            {"name": m.name.removeprefix(NIGHTLY), "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb}
            for m in stages
        ],
        "total": {
            "wall_s": round(sum(m.wall_s for m in stages), 1),
            "peak_rss_mb": max(m.peak_rss_mb for m in stages),
        },
    }


#: Prefix of the nightly scenario's stages in the progress file.
NIGHTLY = "nightly/"


def models_trained(home: Path) -> dict[str, bool]:
    """Whether each model trained on the last night run in ``home`` (its step result)."""
    from ml.registry import MODELS

    steps = home / "bench" / "steps"
    out = {}
    for model in MODELS:
        path = steps / f"{model}.json"
        if path.exists():
            out[model] = bool(json.loads(path.read_text()).get("trained"))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the stages an interrupted run of this scale finished; run the rest",
    )
    parser.add_argument(
        "--until",
        choices=STAGES,
        help="stop after this stage of the backfill (finish later with --resume)",
    )
    args = parser.parse_args(argv)
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    work = BENCH_DIR / "cache" / f"{args.scale}-seed{args.seed}-run"
    progress = work / "progress.json"
    if work.exists() and not (args.resume and progress.exists()):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    done = json.loads(progress.read_text()) if progress.exists() else []
    log = work / "bench.log"
    landing, sample, _ = ensure_sample(args.scale, args.seed, log)
    nightly_date = END_DATE
    backfill_date = END_DATE - dt.timedelta(days=1)
    delivered = work / "landing"
    env = {
        **os.environ,
        "PZ_HOME": str(work / "home"),
        "PZ_LANDING_DIR": str(delivered),
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("PZ_DUCKDB_PATH", None)
    env.pop("PZ_EXPORT_DIR", None)
    plan = [(stage, backfill_date) for stage in STAGES]
    plan += [(NIGHTLY + stage, nightly_date) for stage in STAGES]
    stages: list[Measurement] = [Measurement(**d) for d in done]
    for name, run_date in plan[len(stages) :]:
        stage = name.removeprefix(NIGHTLY)
        if stage == STAGES[0]:
            deliver_until(landing, delivered, run_date)
        m = run_measured(
            name,
            [sys.executable, "-m", "bench.stage", stage, "--run-date", run_date.isoformat()],
            env=env,
            cwd=str(REPO_ROOT),
            log_path=str(log),
        )
        print(f"{name:24} {m.wall_s:8.1f} s {m.peak_rss_mb:9,.0f} MB", flush=True)
        if m.returncode != 0:
            raise SystemExit(f"stage {name} failed (exit {m.returncode}); see {log}")
        stages.append(m)
        progress.write_text(json.dumps([asdict(x) for x in stages], indent=2))
        if stage == args.until:
            print(f"stopped after {name}; finish with --resume", flush=True)
            return 0
    backfill = [m for m in stages if not m.name.startswith(NIGHTLY)]
    nightly = [m for m in stages if m.name.startswith(NIGHTLY)]
    result = {
        "scale": args.scale,
        "customers": SCALES[args.scale],
        "events": sample["events"],
        "input_bytes": sample["input_bytes"],
        "machine": machine(),
        "measured_on": dt.date.today().isoformat(),
        "run_date": backfill_date.isoformat(),
        **_part(backfill),
        "nightly": {
            "run_date": nightly_date.isoformat(),
            **_part(nightly),
            "models_trained": models_trained(work / "home"),
        },
        "overheads": [{"name": m.name, "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb}
                      for m in overheads(env, log)],
        "generate": sample.get("generate"),
    }  # fmt: skip
    (results_dir / f"{args.scale}.json").write_text(json.dumps(result, indent=2) + "\n")
    (results_dir / f"{args.scale}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
