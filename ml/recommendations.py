"""``python -m ml.recommendations --run-date YYYY-MM-DD`` (the model lives in ml.recs)."""

import sys

from ml.cli import run
from ml.recs import train_and_score

__all__ = ["train_and_score"]

if __name__ == "__main__":
    sys.exit(
        run(
            "python -m ml.recommendations",
            "Train, register and score the product recommender.",
            train_and_score,
        )
    )
