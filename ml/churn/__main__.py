"""``python -m ml.churn --run-date YYYY-MM-DD``."""

import sys

from ml.churn import train_and_score
from ml.cli import run

if __name__ == "__main__":
    sys.exit(
        run("python -m ml.churn", "Train, register and score the churn model.", train_and_score)
    )
