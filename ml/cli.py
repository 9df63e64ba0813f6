"""The shared command line of the ``python -m ml.…`` entry points."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any


def run(
    prog: str,
    description: str,
    train_and_score: Callable[..., dict[str, Any]],
    argv: list[str] | None = None,
) -> int:
    """Parse ``--run-date`` and ``--seed``, call ``train_and_score``, print its metrics."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--run-date",
        type=dt.date.fromisoformat,
        required=True,
        help="the last complete day the run covers, YYYY-MM-DD",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    metrics = train_and_score(args.run_date, seed=args.seed)
    print(json.dumps(metrics, indent=2, sort_keys=True, default=str))
    return 0
