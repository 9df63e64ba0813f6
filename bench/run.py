"""``make bench SCALE=S|M|L``: the whole nightly pipeline, time and memory per stage.

Generates (or reuses) a year of sample extracts for the scale, then runs every stage
of the nightly pipeline from an empty warehouse, each in its own process exactly as the
DAG's task would, measuring wall time and peak resident memory. Also measures the
fixed start-up costs (dbt parsing the project, importing MLflow and the DAG) so they
can be weighed against the work. Writes ``bench/results/<scale>.json`` and ``.md``.
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


def markdown(result: dict) -> str:
    """The result as a Markdown table."""
    m = result["machine"]
    lines = [
        f"### Scale {result['scale']}: {result['customers']:,} customers, "
        f"{result['events']:,} events, {result['input_bytes'] / 2**20:,.0f} MiB of extracts",
        "",
        f"Measured {result['measured_on']} on {m['cpus']} CPUs, {m['memory_gb']} GB "
        f"({m['platform']}, Python {m['python']}, DuckDB {m['duckdb']}).",
        "",
        "| stage | wall (s) | peak RSS (MB) |",
        "| --- | ---: | ---: |",
    ]
    for s in result["stages"]:
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {s['peak_rss_mb']:,.0f} |")
    t = result["total"]
    lines.append(f"| **total** | **{t['wall_s']:.1f}** | **{t['peak_rss_mb']:,.0f}** |")
    lines += ["", "| fixed overhead | wall (s) | peak RSS (MB) |", "| --- | ---: | ---: |"]
    for s in result["overheads"]:
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {s['peak_rss_mb']:,.0f} |")
    g = result.get("generate")
    if g:
        lines += ["", f"Generating the sample took {g['wall_s']:.0f} s "
                  f"(peak {g['peak_rss_mb']:,.0f} MB); it is cached and not counted."]  # fmt: skip
    return "\n".join(lines) + "\n"


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
        help="stop after this stage (finish later with --resume)",
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
    env = {
        **os.environ,
        "PZ_HOME": str(work / "home"),
        "PZ_LANDING_DIR": str(landing),
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("PZ_DUCKDB_PATH", None)
    env.pop("PZ_EXPORT_DIR", None)
    run_date = END_DATE.isoformat()
    stages: list[Measurement] = [Measurement(**d) for d in done]
    for stage in STAGES[len(stages) :]:
        m = run_measured(
            stage,
            [sys.executable, "-m", "bench.stage", stage, "--run-date", run_date],
            env=env,
            cwd=str(REPO_ROOT),
            log_path=str(log),
        )
        print(f"{stage:16} {m.wall_s:8.1f} s {m.peak_rss_mb:9,.0f} MB", flush=True)
        if m.returncode != 0:
            raise SystemExit(f"stage {stage} failed (exit {m.returncode}); see {log}")
        stages.append(m)
        progress.write_text(json.dumps([asdict(x) for x in stages], indent=2))
        if stage == args.until:
            print(f"stopped after {stage}; finish with --resume", flush=True)
            return 0
    result = {
        "scale": args.scale,
        "customers": SCALES[args.scale],
        "events": sample["events"],
        "input_bytes": sample["input_bytes"],
        "machine": machine(),
        "measured_on": dt.date.today().isoformat(),
        "stages": [{"name": m.name, "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb}
                   for m in stages],
        "total": {
            "wall_s": round(sum(m.wall_s for m in stages), 1),
            "peak_rss_mb": max(m.peak_rss_mb for m in stages),
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
