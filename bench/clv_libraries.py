"""Measure the candidate libraries for the customer value model (docs/models.md).

``python -m bench.clv_libraries`` draws one BTYD summary of 100,000 customers from
BG/NBD and Gamma-Gamma (``ml.value.simulate``), then for each candidate library builds
a throwaway virtualenv under a temporary folder holding the project's scientific stack
at its locked versions (numpy, scipy, pandas, matplotlib, scikit-learn), and measures:

* install: a cold ``uv pip install`` of the candidate on top (no cache, bytecode
  compiled, as ``make setup`` installs), resolved against the project's lock where it
  can be; the seconds it took and the megabytes it added;
* import: the best of three ``python -c "import …"`` runs;
* fit: BG/NBD and Gamma-Gamma (repeat customers only) on the same summary, twice (the
  first run of a library that compiles code pays for it; the second reuses the cache).

The in-house scipy implementation (``ml.value``) is measured the same way in the
project's own environment. Results go to ``bench/results/clv_libraries.json``.

``python -m bench.clv_libraries --whole-days 100000 1000000`` instead times
``ml.value``'s fit and scoring on summaries in whole days, as ``marts.customer_rfm``
has them (many customers then share a summary, which the fit counts once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.value.simulate import draw_summary

REPO = Path(__file__).resolve().parents[1]
BASE_STACK = ("numpy", "scipy", "pandas", "matplotlib", "scikit-learn")


@dataclass(frozen=True)
class Candidate:
    """One library to measure.

    Attributes:
        name: Label in the results.
        spec: What ``uv pip install`` is given.
        module: What the import-time probe imports.
        locked: Resolve against the project's lock (False: on its own, to see whether
            it installs at all).
    """

    name: str
    spec: str
    module: str
    locked: bool = True


CANDIDATES = (
    Candidate("pymc-marketing", "pymc-marketing", "pymc_marketing.clv"),
    Candidate("lifetimes", "lifetimes==0.11.3", "lifetimes"),
    Candidate("btyd", "btyd==0.1b3", "btyd", locked=False),
)

# Runs inside a candidate's virtualenv: argv = library, summary csv. Prints one JSON line.
FIT_SCRIPT = r"""
import json, sys, time
library, csv = sys.argv[1], sys.argv[2]
import numpy as np, pandas as pd
summary = pd.read_csv(csv)
summary["customer_id"] = np.arange(len(summary))
repeat = summary[summary["frequency"] > 0]
started = time.perf_counter()
if library == "pymc-marketing":
    from pymc_extras.prior import Prior
    from pymc_marketing import clv
    flat = {k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")}
    purchases = clv.BetaGeoModel(
        data=summary[["customer_id", "frequency", "recency", "T"]], model_config=flat
    )
    purchases.fit(method="map")
    fitted = time.perf_counter()
    spend = clv.GammaGammaModel(data=repeat[["customer_id", "monetary_value", "frequency"]])
    spend.fit(method="map")
    bg = {k: float(purchases.fit_result[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
    gg = {k: float(spend.fit_result[k].values.ravel()[0]) for k in ("p", "q", "v")}
else:
    module = __import__(library)
    purchases = module.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    fitted = time.perf_counter()
    spend = module.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    bg = {k: float(v) for k, v in purchases.params_.items()}
    gg = {k: float(v) for k, v in spend.params_.items()}
done = time.perf_counter()
print(json.dumps({"bgnbd_seconds": fitted - started, "gamma_gamma_seconds": done - fitted,
                  "bgnbd": bg, "gamma_gamma": gg}))
"""

OWN_FIT_SCRIPT = r"""
import json, sys, time
import pandas as pd
from ml.value import bgnbd, gamma_gamma
summary = pd.read_csv(sys.argv[2])
repeat = summary[summary["frequency"] > 0]
started = time.perf_counter()
bg, _ = bgnbd.fit(summary["frequency"], summary["recency"], summary["T"])
fitted = time.perf_counter()
gg, _ = gamma_gamma.fit(repeat["frequency"], repeat["monetary_value"])
done = time.perf_counter()
print(json.dumps({"bgnbd_seconds": fitted - started, "gamma_gamma_seconds": done - fitted,
                  "bgnbd": bg.as_dict(), "gamma_gamma": gg.as_dict()}))
"""


def _uv() -> str:
    found = shutil.which("uv")
    return found or str(REPO / ".venv-uv" / "bin" / "uv")


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)


def _site_packages_mb(python: Path) -> float:
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    total = sum(f.stat().st_size for f in Path(purelib.stdout.strip()).rglob("*") if f.is_file())
    return total / 2**20


def _best_import_seconds(python: Path, module: str, env: dict[str, str], tries: int = 3) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        probe = _run([str(python), "-c", f"import {module}"], env)
        if probe.returncode != 0:
            raise RuntimeError(probe.stderr.strip().splitlines()[-1])
        best = min(best, time.perf_counter() - started)
    return best


def _fit(python: Path, script: str, library: str, csv: Path, env: dict[str, str]) -> dict:
    started = time.perf_counter()
    run = _run([str(python), "-c", script, library, str(csv)], env)
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip().splitlines()[-1])
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def measure_candidate(candidate: Candidate, work: Path, constraints: Path, csv: Path) -> dict:
    """Install, import and fit one candidate in its own virtualenv under ``work``."""
    uv = _uv()
    venv = work / f"venv-{candidate.name}"
    python = venv / "bin" / "python"
    _run([uv, "venv", "--quiet", "--python", "3.11", str(venv)])
    base = _run([uv, "pip", "install", "--quiet", "--python", str(python), "--compile-bytecode",
                 "-c", str(constraints), *BASE_STACK])  # fmt: skip
    if base.returncode != 0:
        raise RuntimeError(f"base stack: {base.stderr.strip()}")
    before = _site_packages_mb(python)
    lock = ["-c", str(constraints)] if candidate.locked else []
    started = time.perf_counter()
    install = _run([uv, "pip", "install", "--no-cache", "--compile-bytecode",
                    "--python", str(python), *lock, candidate.spec])  # fmt: skip
    result: dict[str, Any] = {
        "spec": candidate.spec,
        "resolved_with_project_lock": candidate.locked,
    }
    result["install_seconds"] = time.perf_counter() - started
    if install.returncode != 0:
        result["error"] = "install: " + install.stderr.strip().splitlines()[-1]
        return result
    result["added_mb"] = _site_packages_mb(python) - before
    listed = _run([uv, "pip", "freeze", "--python", str(python)]).stdout.split()
    result["installed"] = sorted(listed)
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={work / 'pytensor'}"}
    try:
        result["import_seconds"] = _best_import_seconds(python, candidate.module, env)
        result["fit_first"] = _fit(python, FIT_SCRIPT, candidate.name, csv, env)
        result["fit_again"] = _fit(python, FIT_SCRIPT, candidate.name, csv, env)
    except RuntimeError as error:
        result["error"] = str(error)
    return result


def measure_own(csv: Path) -> dict:
    """The scipy implementation in ``ml.value``, in the project's environment."""
    python = Path(sys.executable)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return {
        "spec": "ml.value (scipy, already a dependency)",
        "added_mb": 0.0,
        "install_seconds": 0.0,
        # What the fit imports (importing the ml.value package also loads MLflow for
        # the tracking of a night, which is no cost of the model).
        "import_seconds": _best_import_seconds(
            python, "pandas, scipy.optimize, scipy.special", env
        ),
        "fit_first": _fit(python, OWN_FIT_SCRIPT, "ml.value", csv, env),
        "fit_again": _fit(python, OWN_FIT_SCRIPT, "ml.value", csv, env),
    }


def measure_whole_days(sizes: list[int], seed: int) -> dict[str, dict[str, float]]:
    """Fit and scoring seconds of ``ml.value`` on whole-day summaries of each size."""
    import numpy as np
    import pandas as pd

    from ml.value.model import fit_value_model
    from ml.value.simulate import TrueParameters

    results = {}
    for size in sizes:
        # CDNOW's parameters with alpha in days, first purchases over 540 days.
        drawn = draw_summary(size, max_t=540, params=TrueParameters(alpha=4.414 * 7), seed=seed)
        frame = pd.DataFrame(
            {
                "btyd_frequency": drawn["frequency"],
                "btyd_recency_days": np.floor(drawn["recency"]),
                "btyd_t_days": np.ceil(drawn["T"]),
                "btyd_monetary_value": drawn["monetary_value"].round(2),
            }
        )
        started = time.perf_counter()
        model, _ = fit_value_model(frame)
        fitted = time.perf_counter()
        model.predict(frame)
        results[str(size)] = {
            "fit_seconds": fitted - started,
            "predict_seconds": time.perf_counter() - fitted,
            "distinct_summaries": int(len(frame.iloc[:, :3].drop_duplicates())),
        }
        print(size, results[str(size)], file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Measure every candidate and write the results as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.clv_libraries", description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/clv_libraries.json")
    parser.add_argument("--only", nargs="*", help="candidate names (default: all, and ml.value)")
    parser.add_argument("--whole-days", nargs="+", type=int, help="time ml.value at these sizes")
    args = parser.parse_args(argv)
    if args.whole_days:
        results = {"whole_days": measure_whole_days(args.whole_days, args.seed)}
        results["load_average_at_end"] = os.getloadavg()[0]
        out = args.out.with_name("clv_whole_days.json")
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        return 0
    with tempfile.TemporaryDirectory(prefix="clv-libraries-") as tmp:
        work = Path(tmp)
        csv = work / "summary.csv"
        draw_summary(args.customers, seed=args.seed).to_csv(csv, index=False)
        constraints = work / "constraints.txt"
        export = _run([_uv(), "export", "--frozen", "--no-hashes", "--all-groups",
                       "--no-emit-project", "--project", str(REPO),
                       "-o", str(constraints)])  # fmt: skip
        if export.returncode != 0:
            raise RuntimeError(f"uv export: {export.stderr.strip()}")
        results: dict[str, Any] = {
            "customers": args.customers,
            "seed": args.seed,
            "load_average_at_start": os.getloadavg()[0],
            "cpus": os.cpu_count(),
        }
        for candidate in CANDIDATES:
            if args.only and candidate.name not in args.only:
                continue
            print(f"measuring {candidate.name} …", file=sys.stderr, flush=True)
            results[candidate.name] = measure_candidate(candidate, work, constraints, csv)
        if not args.only or "ml.value" in args.only:
            print("measuring ml.value …", file=sys.stderr, flush=True)
            results["ml.value"] = measure_own(csv)
        results["load_average_at_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
